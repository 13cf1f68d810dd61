/** The plan as `--dry-run` prints it: one line per CSV row, then a summary. */
import type { RetrievalPlan } from './plan.js';

export function formatPlan(plan: RetrievalPlan, heading: string): string {
  const lines = [heading];
  const width = String(plan.rows.at(-1)?.line ?? 0).length;
  for (const row of plan.rows) {
    const where = `line ${String(row.line).padStart(width)}`;
    if (row.kind === 'invalid') {
      lines.push(`${where}  skip    ${row.problem}`);
    } else if (row.duplicateOf !== undefined) {
      lines.push(`${where}  ${row.query.level.padEnd(6)}  same query as row ${row.duplicateOf}`);
    } else {
      const keys = row.query.keys.map((k) => `${k.keyword}=${k.value}`).join(' ');
      lines.push(`${where}  ${row.query.level.padEnd(6)}  C-FIND ${keys}`);
    }
  }
  const valid = plan.rows.length - plan.invalid;
  lines.push(
    `${plan.rows.length} rows: ${plan.queries} C-FIND ${plan.queries === 1 ? 'query' : 'queries'} (${valid - plan.queries} repeated), ` +
      `${plan.invalid} malformed (skipped); each study found is retrieved once.`,
  );
  return `${lines.join('\n')}\n`;
}
