/** `niffler retrieve list`: the runs of a database, newest first, one line each. */
import type { Db } from '../../store/database.js';
import { listRuns, rowStateCounts } from '../../store/queries/retrieve.js';

export async function listRunsText(db: Db): Promise<string> {
  const runs = await listRuns(db.kysely);
  if (runs.length === 0) return 'no retrieval runs\n';
  const lines = [
    'run          state      kind           rows                               pacs / csv',
  ];
  for (const run of runs) {
    const counts = await rowStateCounts(db.kysely, run.id);
    const rows = ['done', 'partial', 'not-found', 'failed', 'skipped', 'pending']
      .filter((s) => (counts[s as keyof typeof counts] ?? 0) > 0)
      .map((s) => `${counts[s as keyof typeof counts]} ${s}`)
      .join(', ');
    lines.push(
      `${run.id.padEnd(12)} ${run.state.padEnd(10)} ${run.kind.padEnd(14)} ${`${run.rowsTotal}: ${rows}`.padEnd(34)} ${run.pacs} ${run.csvPath}` +
        (run.error === null ? '' : `\n             error: ${run.error}`),
    );
  }
  return `${lines.join('\n')}\n`;
}
