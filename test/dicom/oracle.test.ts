// Every corpus file against an independent oracle, pydicom 2.3.1 (Debian's python3-pydicom).
//
// Well-formed files: our elements (tag, VR, value; recursively in sequence items; the file meta
// group too) must equal pydicom's, except for the differences listed with their reason in
// test/dicom/oracle/known-differences.json. A listed difference that no longer occurs fails the
// test too (the fixture is stale). Malformed files (note `MALFORMED...`): parsing them must give
// a result or a DicomError, in a worker thread with a time and a heap limit.
//
// ORACLE_DIFFERENCES_OUT=/tmp/d.json writes every difference no rule accounts for (with the
// fixture's reason, or 'TODO') to that file, to review them and maintain the fixture.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import { corpusPath, readManifest } from '../helpers/corpus.js';
import {
  compareElements,
  normalizeDataset,
  type Difference,
  type DifferenceField,
  type DifferenceRule,
} from './oracle/normalize.js';
import { ParseWorker } from './oracle/parse-in-worker.js';
import {
  ORACLE_PYTHON,
  oracleAvailable,
  runOracle,
  type NormalElement,
  type OracleFile,
} from './oracle/pydicom.js';
import { skipWhenMissing } from '../helpers/skip.js';

interface KnownDifference extends Difference {
  readonly reason: string;
}

/** A rule that accounts for every difference compareElements tags with it (see DifferenceRule). */
interface KnownRule {
  readonly rule: DifferenceRule;
  readonly field: DifferenceField;
  readonly reason: string;
}

interface KnownDifferences {
  readonly about: string;
  readonly rules: KnownRule[];
  readonly differences: KnownDifference[];
}

const FIELDS: readonly DifferenceField[] = ['vr', 'value', 'missing', 'extra'];
const RULES: readonly DifferenceRule[] = ['private-dictionary', 'un-byte-order'];
/** A malformed file must be dealt with within this time (worker start-up included)... */
const MALFORMED_TIME_LIMIT_MS = 15_000;
/** ...and this much heap (the largest corpus file is 14 MB). */
const MALFORMED_HEAP_LIMIT_MB = 512;

const rows = readManifest();
const wellFormed = rows.filter((row) => !row.malformed);
const malformed = rows.filter((row) => row.malformed);

const fixtureUrl = new URL('./oracle/known-differences.json', import.meta.url);
const fixture = JSON.parse(readFileSync(fixtureUrl, 'utf8')) as KnownDifferences;
const knownByPath = new Map<string, KnownDifference[]>();
for (const entry of fixture.differences) {
  knownByPath.set(entry.path, [...(knownByPath.get(entry.path) ?? []), entry]);
}

const available = oracleAvailable();
const oracle = available
  ? runOracle(wellFormed.map((row) => corpusPath(row)))
  : new Map<string, OracleFile>();

const stats = {
  files: 0,
  elements: 0,
  byCategory: new Map<string, number>(),
  byRule: new Map<DifferenceRule, number>(),
};
const found: (Difference & { reason: string })[] = [];

function countElements(elements: readonly NormalElement[]): number {
  let count = 0;
  for (const element of elements) {
    count += 1;
    for (const item of element.items ?? []) count += countElements(item);
  }
  return count;
}

function sameDifference(a: Difference, b: Difference): boolean {
  return (
    a.path === b.path &&
    a.tag === b.tag &&
    a.field === b.field &&
    a.rule === b.rule &&
    isDeepStrictEqual(a.ours, b.ours) &&
    isDeepStrictEqual(a.oracle, b.oracle)
  );
}

function show(difference: Difference): string {
  const { tag, field, ours, oracle: theirs } = difference;
  return `  ${tag} ${field}: ours ${JSON.stringify(ours)}, pydicom ${JSON.stringify(theirs)}`;
}

test('known-differences.json: every entry is well formed', () => {
  const paths = new Set(wellFormed.map((row) => row.path));
  assert.equal(typeof fixture.about, 'string');
  for (const entry of fixture.differences) {
    const where = `${entry.path} ${entry.tag} ${entry.field}`;
    assert.ok(paths.has(entry.path), `${where}: not a well-formed corpus file`);
    assert.match(entry.tag, /^(meta\/)?[0-9A-F]{8}(\/\d+\/[0-9A-F]{8})*$/, `${where}: tag path`);
    assert.ok(FIELDS.includes(entry.field), `${where}: field`);
    assert.ok('ours' in entry && 'oracle' in entry, `${where}: ours and oracle`);
    assert.ok(entry.reason.trim().length > 0 && entry.reason !== 'TODO', `${where}: a reason`);
    const twins = fixture.differences.filter((other) => sameDifference(other, entry));
    assert.equal(twins.length, 1, `${where}: listed twice`);
  }
  for (const rule of fixture.rules) {
    assert.ok(RULES.includes(rule.rule), `rule ${rule.rule}: unknown`);
    assert.ok(FIELDS.includes(rule.field), `rule ${rule.rule}: field`);
    assert.ok(rule.reason.trim().length > 0, `rule ${rule.rule}: a reason`);
  }
});

describe('well-formed corpus files: our elements equal pydicom 2.3.1', () => {
  for (const row of wellFormed) {
    const skip = skipWhenMissing(
      available ? false : `pydicom is not installed for ${ORACLE_PYTHON}`,
    );
    test(row.path, { skip }, () => {
      const path = corpusPath(row);
      const theirs = oracle.get(path);
      assert.ok(theirs !== undefined, 'the oracle dumped the file');
      assert.equal(theirs.error, undefined, 'pydicom reads the file');
      assert.equal(theirs.metaError, undefined, 'pydicom reads the file meta');

      const result = parseBuffer(readFileSync(path));
      const differences = [
        ...compareElements(row.path, normalizeDataset(result.meta), theirs.meta, 'meta/'),
        ...compareElements(row.path, normalizeDataset(result.dataset), theirs.dataset),
      ];
      stats.files += 1;
      stats.elements += countElements(theirs.meta) + countElements(theirs.dataset);

      const known = knownByPath.get(row.path) ?? [];
      const reasonOf = (d: Difference): string | undefined =>
        d.rule === undefined
          ? known.find((k) => sameDifference(k, d))?.reason
          : fixture.rules.find((r) => r.rule === d.rule && r.field === d.field)?.reason;
      const unexpected = differences.filter((d) => reasonOf(d) === undefined);
      const stale = known.filter((k) => !differences.some((d) => sameDifference(k, d)));
      for (const difference of differences) {
        const reason = reasonOf(difference) ?? 'TODO';
        if (difference.rule === undefined) found.push({ ...difference, reason });
        else stats.byRule.set(difference.rule, (stats.byRule.get(difference.rule) ?? 0) + 1);
        const category = `${difference.field}: ${difference.rule ?? reason.split(':')[0]}`;
        stats.byCategory.set(category, (stats.byCategory.get(category) ?? 0) + 1);
      }
      const problems: string[] = [];
      if (unexpected.length > 0) {
        problems.push(
          `${unexpected.length} difference(s) from pydicom not in known-differences.json:`,
        );
        problems.push(...unexpected.map(show));
      }
      if (stale.length > 0) {
        problems.push(`${stale.length} known difference(s) no longer occur (stale fixture):`);
        problems.push(...stale.map(show));
      }
      assert.ok(problems.length === 0, problems.join('\n'));
    });
  }

  after(() => {
    const out = process.env.ORACLE_DIFFERENCES_OUT;
    if (out !== undefined && out !== '') {
      writeFileSync(out, `${JSON.stringify(found, null, 2)}\n`);
    }
  });
});

describe('malformed corpus files: a result or a DicomError, never a crash or a hang', () => {
  const worker = new ParseWorker(MALFORMED_HEAP_LIMIT_MB);
  after(() => worker.close());
  for (const row of malformed) {
    test(row.path, async (t) => {
      const outcome = await worker.parse(corpusPath(row), MALFORMED_TIME_LIMIT_MS);
      t.diagnostic(JSON.stringify(outcome));
      assert.ok(
        outcome.kind === 'parsed' || outcome.kind === 'dicom-error',
        `expected a result or a DicomError, got ${JSON.stringify(outcome)}`,
      );
    });
  }
});

test(
  'summary: every rule of known-differences.json still applies',
  { skip: skipWhenMissing(!available && 'pydicom is not installed') },
  (t) => {
    t.diagnostic(`${stats.files} files, ${stats.elements} oracle elements compared`);
    for (const [category, count] of [...stats.byCategory].sort()) {
      t.diagnostic(`  ${count} × ${category}`);
    }
    // Only meaningful when every well-formed file was compared (not with --test-name-pattern).
    if (stats.files === wellFormed.length) {
      for (const rule of fixture.rules) {
        assert.ok((stats.byRule.get(rule.rule) ?? 0) > 0, `rule ${rule.rule} no longer applies`);
      }
    }
  },
);
