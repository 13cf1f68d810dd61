// Fuzz tests of the incremental parser over the corpus: mutated, truncated and chunked inputs must
// parse or fail with a DicomError (never a RangeError, TypeError or stack overflow), quickly and in
// bounded memory. Reproduce a failure with the seed in the test name:
//   FUZZ_SEED=0x... FUZZ_CASES=3000 npm test -- test/dicom/fuzz.test.ts
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Dataset } from '../../src/dicom/dataset.js';
import { DicomError } from '../../src/dicom/errors.js';
import {
  DicomParser,
  parseBuffer,
  type ParseOptions,
  type ParseResult,
} from '../../src/dicom/parse/index.js';
import { formatTag, PIXEL_DATA } from '../../src/dicom/tag.js';
import { corpusPath, readManifest } from '../helpers/corpus.js';
import { Prng, seedFromEnv } from '../helpers/prng.js';

const SEED = seedFromEnv('FUZZ_SEED', 0x5eed2026);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);
// "No hang" is checked on the CPU time a case uses, not wall time: tests run side by side on a
// busy machine, where wall time says more about the neighbours than about the parser.
const CASE_CPU_LIMIT_MS = 1500;
const MEMORY_LIMIT = 256 * 1024 * 1024;
const MB = 1024 * 1024;
const seedText = `0x${SEED.toString(16).padStart(8, '0')}`;

// ---------------------------------------------------------------------------------------------
// Helpers

/** `global.gc` without starting node with --expose-gc, so memory readings are not stale garbage. */
const collectGarbage: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => {};
  }
})();

/** One element, item or fragment: [path of tags, kind or VR, offset, length]. */
type FlatEntry = [string, string, number, number];

/** Every element, item and fragment of a parse result in stream order (iterative: no recursion). */
function flatten(result: ParseResult): FlatEntry[] {
  const out: FlatEntry[] = [];
  const work: [Dataset, string][] = [
    [result.dataset, 'ds'],
    [result.meta, 'meta'],
  ];
  for (let next = work.pop(); next !== undefined; next = work.pop()) {
    const [dataset, path] = next;
    const nested: [Dataset, string][] = [];
    for (const element of dataset.elements.values()) {
      const here = `${path}/${formatTag(element.tag)}`;
      switch (element.kind) {
        case 'value':
          out.push([here, element.vr, element.offset, element.length]);
          if (element.bulk !== undefined) {
            out.push([`${here}@bulk`, 'bulk', element.bulk.offset, element.bulk.length]);
          }
          break;
        case 'sequence':
          out.push([here, 'SQ', element.offset, element.length]);
          element.items.forEach((item, k) => {
            out.push([`${here}[${k}]`, 'item', item.offset, item.length]);
            nested.push([item.dataset, `${here}[${k}]`]);
          });
          break;
        case 'encapsulated':
          out.push([here, element.vr, element.offset, element.length]);
          element.fragments.forEach((fragment, k) => {
            out.push([`${here}#${k}`, 'fragment', fragment.offset, fragment.length]);
          });
          break;
      }
    }
    // Depth first, in element order.
    for (let k = nested.length - 1; k >= 0; k--) work.push(nested[k]!);
  }
  return out;
}

/** The kept value bytes of a result, in the same order as `flatten`, joined by path. */
function valueBytes(result: ParseResult): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const work: [Dataset, string][] = [
    [result.dataset, 'ds'],
    [result.meta, 'meta'],
  ];
  for (let next = work.pop(); next !== undefined; next = work.pop()) {
    const [dataset, path] = next;
    for (const element of dataset.elements.values()) {
      const here = `${path}/${formatTag(element.tag)}`;
      if (element.kind === 'value' && element.bytes !== undefined) out.set(here, element.bytes);
      if (element.kind === 'sequence') {
        element.items.forEach((item, k) => work.push([item.dataset, `${here}[${k}]`]));
      }
      if (element.kind === 'encapsulated') {
        element.fragments.forEach((f, k) => {
          if (f.bytes !== undefined) out.set(`${here}#${k}`, f.bytes);
        });
      }
    }
  }
  return out;
}

/**
 * Feeds `bytes` in random chunks of 1..maxChunk bytes, like a socket or a file reader would.
 * With `seek`, bytes the parser says it can skip (bulk values) are skipped without being fed, the
 * way readDicomFile seeks past them. After the first kilobyte (the file meta) chunks grow for
 * large inputs so that there are at most about `maxWrites` of them: a fuzz case must stay cheap
 * (the cost of tiny chunks has its own test).
 */
function parseChunked(
  bytes: Uint8Array,
  options: ParseOptions,
  rng: Prng,
  maxChunk: number,
  seek = false,
  maxWrites = 1500,
): ParseResult {
  const parser = new DicomParser(options);
  const floor = Math.ceil(bytes.length / maxWrites);
  let position = 0;
  while (position < bytes.length && !parser.done) {
    if (seek) {
      const skip = Math.min(parser.skippable, bytes.length - position);
      if (skip > 0) {
        parser.skipped(skip);
        position += skip;
        continue;
      }
    }
    const size =
      position < 1024 ? rng.range(1, maxChunk) : rng.range(floor, Math.max(floor, maxChunk));
    const n = Math.min(size, bytes.length - position);
    parser.write(bytes.subarray(position, position + n));
    position += n;
  }
  return parser.end();
}

type Outcome = { ok: true; result: ParseResult } | { ok: false; error: unknown };

function attempt(parse: () => ParseResult): Outcome {
  try {
    return { ok: true, result: parse() };
  } catch (error) {
    return { ok: false, error };
  }
}

function describeError(error: unknown): string {
  if (error instanceof DicomError) return `DicomError ${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return String(error);
}

// ---------------------------------------------------------------------------------------------
// Synthetic streams (explicit VR little endian unless said)

const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';

class Writer {
  private buffer = new Uint8Array(1024);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  bytes(data: ArrayLike<number>): this {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  u16(value: number): this {
    return this.bytes([value & 0xff, (value >>> 8) & 0xff]);
  }

  u32(value: number): this {
    return this.u16(value & 0xffff).u16(value >>> 16);
  }

  tag(group: number, element: number): this {
    return this.u16(group).u16(element);
  }

  text(value: string): this {
    return this.bytes([...value].map((c) => c.charCodeAt(0)));
  }

  /** An explicit VR LE element with a string value (padded to even length). */
  explicit(group: number, element: number, vr: string, value: string, pad = ' '): this {
    const padded = value.length % 2 === 0 ? value : value + pad;
    this.tag(group, element).text(vr);
    if (['OB', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR'].includes(vr)) this.u16(0).u32(padded.length);
    else this.u16(padded.length);
    return this.text(padded);
  }

  /** An implicit VR LE element with a string value. */
  implicit(group: number, element: number, value: string, pad = ' '): this {
    const padded = value.length % 2 === 0 ? value : value + pad;
    return this.tag(group, element).u32(padded.length).text(padded);
  }

  done(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Preamble, DICM and a file meta group naming `syntax`. */
function part10Header(syntax: string): Writer {
  return new Writer()
    .bytes(new Uint8Array(128))
    .text('DICM')
    .explicit(0x0002, 0x0001, 'OB', '\0\x01')
    .explicit(0x0002, 0x0002, 'UI', '1.2.840.10008.5.1.4.1.1.7', '\0')
    .explicit(0x0002, 0x0003, 'UI', '1.2.3.4.5.6.7.8.9', '\0')
    .explicit(0x0002, 0x0010, 'UI', syntax, '\0');
}

const CONTENT_SEQUENCE = [0x0040, 0xa730] as const; // SQ in the dictionary (implicit VR knows it)

/** `depth` nested sequences, each with one item, around one leaf element. */
function nestedStream(depth: number, form: 'explicit' | 'implicit' | 'defined'): Uint8Array {
  const w = part10Header(
    form === 'implicit' ? IMPLICIT_VR_LITTLE_ENDIAN : EXPLICIT_VR_LITTLE_ENDIAN,
  );
  const leaf = new Writer();
  if (form === 'implicit') {
    w.implicit(0x0008, 0x0016, '1.2.840.10008.5.1.4.1.1.7', '\0');
    leaf.implicit(0x0008, 0x0100, 'LEAF');
  } else {
    w.explicit(0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.7', '\0');
    leaf.explicit(0x0008, 0x0100, 'SH', 'LEAF');
  }
  const level = form === 'implicit' ? 8 + 8 : 12 + 8; // sequence header + item header
  for (let d = 0; d < depth; d++) {
    const itemLength = form === 'defined' ? (depth - 1 - d) * level + leaf.length : 0xffffffff;
    const sequenceLength = form === 'defined' ? itemLength + 8 : 0xffffffff;
    w.tag(...CONTENT_SEQUENCE);
    if (form !== 'implicit') w.text('SQ').u16(0);
    w.u32(sequenceLength);
    w.tag(0xfffe, 0xe000).u32(itemLength);
  }
  w.bytes(leaf.done());
  if (form !== 'defined') {
    for (let d = 0; d < depth; d++) {
      w.tag(0xfffe, 0xe00d).u32(0); // item delimitation
      w.tag(0xfffe, 0xe0dd).u32(0); // sequence delimitation
    }
  }
  return w.done();
}

/** How deep the innermost item is (iterative). */
function nestingDepth(dataset: Dataset): number {
  let depth = 0;
  for (let ds: Dataset | undefined = dataset; ds !== undefined;) {
    let inner: Dataset | undefined;
    for (const element of ds.elements.values()) {
      if (element.kind === 'sequence' && element.items[0] !== undefined) {
        inner = element.items[0].dataset;
      }
    }
    if (inner !== undefined) depth++;
    ds = inner;
  }
  return depth;
}

// ---------------------------------------------------------------------------------------------
// The corpus

interface CorpusFile {
  readonly path: string;
  readonly malformed: boolean;
  readonly bytes: Uint8Array;
  /** Offsets of element, item and fragment headers of the original: where mutations hurt most. */
  readonly structure: number[];
}

let corpusCache: CorpusFile[] | undefined;

function corpus(): CorpusFile[] {
  corpusCache ??= readManifest().map((row) => {
    const bytes = new Uint8Array(readFileSync(corpusPath(row)));
    const parser = new DicomParser();
    let result: ParseResult;
    try {
      parser.write(bytes);
      result = parser.end();
    } catch {
      result = parser.partial;
    }
    const structure = flatten(result)
      .filter(([, kind]) => kind !== 'bulk')
      .map(([, , offset]) => offset);
    // Preamble, DICM and the first meta element.
    structure.push(0, 128, 132);
    return { path: row.path, malformed: row.malformed, bytes, structure };
  });
  return corpusCache;
}

// ---------------------------------------------------------------------------------------------
// Mutations

/** Four-byte values that mean something to a DICOM parser, little endian on the wire. */
const INTERESTING_U32 = [
  0xffffffff, // undefined length
  0xe000fffe, // (FFFE,E000) item tag
  0xe0ddfffe, // (FFFE,E0DD) sequence delimitation tag
  0xe00dfffe, // (FFFE,E00D) item delimitation tag
  0x7ffffff0, // a huge length
  0x3ffffff0, // a huge length under the default 1 GiB value limit
  0xfffffffe,
  0x80000000,
  0x00000000,
  0x00000001,
  0x00000003,
  0x0000ffff,
  0x00100007, // (7FE0,0010) pixel data tag, read as bytes E0 7F 10 00
  0x00107fe0,
];
/** Two-byte values for VR and short length fields. */
const INTERESTING_U16 = ['SQ', 'UN', 'OB', 'OW', 'UT', 'XX', '\0\0', '\xff\xff'];

/**
 * Largest input a fuzz case parses: the mutations hit headers, and a mutated multi-megabyte pixel
 * value read as elements costs seconds (linear, but over the per-case time limit).
 */
const MAX_FUZZ_INPUT = 1024 * 1024;

function mutate(file: CorpusFile, rng: Prng, log: string[]): Uint8Array {
  const bytes = file.bytes.slice(0, MAX_FUZZ_INPUT);
  if (bytes.length < file.bytes.length) log.push(`first ${bytes.length} bytes`);
  if (bytes.length === 0) return bytes;
  const near = (): number => {
    // Near a header field of the original, or anywhere (mostly early: headers live there).
    if (rng.chance(0.6)) return rng.pick(file.structure) + rng.pick([0, 2, 4, 4, 6, 8, 8, 10]);
    return rng.chance(0.7) ? rng.int(Math.min(bytes.length, 8192)) : rng.int(bytes.length);
  };
  const mutations = rng.range(0, 4);
  for (let m = 0; m < mutations; m++) {
    const at = near();
    const kind = rng.int(4);
    if (kind === 0) {
      if (at >= bytes.length) continue;
      const bit = 1 << rng.int(8);
      bytes[at] = bytes[at]! ^ bit;
      log.push(`flip ${at}^${bit}`);
    } else if (kind === 1) {
      if (at >= bytes.length) continue;
      const value = rng.int(256);
      bytes[at] = value;
      log.push(`set ${at}=${value}`);
    } else if (kind === 2) {
      const value = rng.pick(INTERESTING_U32);
      const bigEndian = rng.chance(0.2);
      for (let k = 0; k < 4 && at + k < bytes.length; k++) {
        const shift = bigEndian ? 24 - 8 * k : 8 * k;
        bytes[at + k] = (value >>> shift) & 0xff;
      }
      log.push(`u32 ${at}=0x${value.toString(16)}${bigEndian ? 'be' : ''}`);
    } else {
      const value = rng.pick(INTERESTING_U16);
      for (let k = 0; k < 2 && at + k < bytes.length; k++) bytes[at + k] = value.charCodeAt(k);
      log.push(`u16 ${at}=${JSON.stringify(value)}`);
    }
  }
  if (rng.chance(0.35)) {
    const cut = rng.chance(0.5)
      ? Math.min(bytes.length, rng.pick(file.structure) + rng.int(16))
      : rng.int(bytes.length + 1);
    log.push(`truncate ${cut}`);
    return bytes.subarray(0, cut);
  }
  return bytes;
}

function randomOptions(rng: Prng): ParseOptions {
  switch (rng.int(8)) {
    case 0:
      return { untilTag: PIXEL_DATA };
    case 1:
      return { bulkThreshold: rng.pick([0, 16, 1024]) };
    case 2:
      return { maxDepth: rng.pick([0, 1, 3]) };
    case 3:
      return { maxValueLength: rng.pick([0, 64, 4096]) };
    case 4:
      return { untilTag: PIXEL_DATA, bulkThreshold: 256 };
    default:
      return {};
  }
}

// ---------------------------------------------------------------------------------------------
// Tests

test(`fuzz: ${CASES} mutated, truncated and chunked corpus files parse or throw DicomError (seed ${seedText})`, () => {
  const files = corpus();
  const rng = new Prng(SEED);
  const failures: string[] = [];
  const codes = new Map<string, number>();
  let succeeded = 0;
  let slowest = { ms: 0, label: '' };

  collectGarbage();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakArrayBuffers = before.arrayBuffers;
  const started = performance.now();

  for (let n = 0; n < CASES; n++) {
    const file = rng.pick(files);
    const log: string[] = [];
    const input = mutate(file, rng, log);
    const options = randomOptions(rng);
    const chunked = rng.chance(0.7);
    const maxChunk = 2 ** rng.int(13); // 1 .. 4096
    const seek = rng.chance(0.5);
    const label =
      `case ${n} (seed ${seedText}): ${file.path} [${log.join(', ')}] ` +
      `options ${JSON.stringify(options)} ` +
      (chunked ? `chunks 1..${maxChunk}${seek ? ' seeking' : ''}` : 'one shot');

    const cpu0 = process.cpuUsage();
    const outcome = attempt(() =>
      chunked ? parseChunked(input, options, rng, maxChunk, seek) : parseBuffer(input, options),
    );
    const cpu = process.cpuUsage(cpu0);
    const ms = (cpu.user + cpu.system) / 1000;

    if (ms > slowest.ms) slowest = { ms, label };
    if (outcome.ok) {
      succeeded++;
    } else if (outcome.error instanceof DicomError) {
      codes.set(outcome.error.code, (codes.get(outcome.error.code) ?? 0) + 1);
    } else if (failures.length < 10) {
      failures.push(`${label}\n  threw ${describeError(outcome.error)}`);
    }
    if (ms > CASE_CPU_LIMIT_MS && failures.length < 10) {
      failures.push(`${label}\n  took ${ms.toFixed(0)} ms of CPU`);
    }
    // The result is still alive here: a value allocated for a huge declared length would show.
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakArrayBuffers = Math.max(peakArrayBuffers, usage.arrayBuffers);
    // Collect now and then, so the readings are what the parser keeps, not garbage not yet freed.
    if (n % 250 === 249) collectGarbage();
  }

  const summary =
    `${CASES} cases in ${(performance.now() - started).toFixed(0)} ms: ${succeeded} parsed, ` +
    `errors ${JSON.stringify(Object.fromEntries([...codes].sort()))}; slowest ` +
    `${slowest.ms.toFixed(1)} ms (${slowest.label}); rss +${((peakRss - before.rss) / MB).toFixed(0)} MB, ` +
    `arrayBuffers +${((peakArrayBuffers - before.arrayBuffers) / MB).toFixed(0)} MB`;
  console.log(summary);
  assert.deepEqual(failures, [], summary);
  assert.ok(peakRss - before.rss < MEMORY_LIMIT, `RSS grew too much: ${summary}`);
  assert.ok(
    peakArrayBuffers - before.arrayBuffers < MEMORY_LIMIT,
    `arrayBuffers grew too much: ${summary}`,
  );
  // The fuzzer must reach both outcomes, or it tests nothing.
  assert.ok(succeeded > CASES / 20, summary);
  assert.ok(codes.size >= 3, summary);
});

test(`chunked parsing of every well-formed corpus file equals one-shot parsing (seed ${seedText})`, () => {
  const rng = new Prng(SEED ^ 0x0c4a9c3d);
  const variants: { name: string; options: ParseOptions; seek: boolean }[] = [
    { name: 'whole', options: {}, seek: false },
    { name: 'header', options: { untilTag: PIXEL_DATA }, seek: false },
    { name: 'bulk', options: { bulkThreshold: 1024 }, seek: true },
  ];
  let compared = 0;
  for (const file of corpus()) {
    for (const { name, options, seek } of variants) {
      const maxChunk = 2 ** rng.range(0, 12);
      const what = `${file.path} (${name}, chunks 1..${maxChunk}, seed ${seedText})`;
      const whole = attempt(() => parseBuffer(file.bytes, options));
      const chunked = attempt(() => parseChunked(file.bytes, options, rng, maxChunk, seek));
      if (!whole.ok || !chunked.ok) {
        // Malformed files: the same verdict either way.
        assert.ok(file.malformed, `${what}: ${describeError(whole.ok ? chunked : whole)}`);
        assert.equal(whole.ok, chunked.ok, what);
        if (!whole.ok && !chunked.ok) {
          assert.ok(whole.error instanceof DicomError, describeError(whole.error));
          assert.ok(chunked.error instanceof DicomError, describeError(chunked.error));
          assert.equal(chunked.error.code, whole.error.code, what);
        }
        continue;
      }
      const a = whole.result;
      const b = chunked.result;
      assert.deepEqual(flatten(b), flatten(a), what);
      assert.equal(b.transferSyntaxUid, a.transferSyntaxUid, what);
      assert.equal(b.datasetOffset, a.datasetOffset, what);
      assert.deepEqual(b.stoppedAt, a.stoppedAt, what);
      assert.deepEqual(b.warnings, a.warnings, what);
      const bytesA = valueBytes(a);
      const bytesB = valueBytes(b);
      assert.deepEqual([...bytesB.keys()], [...bytesA.keys()], what);
      for (const [path, value] of bytesA) {
        assert.ok(Buffer.from(value).equals(bytesB.get(path)!), `${what}: value of ${path}`);
      }
      compared++;
    }
  }
  assert.ok(compared >= 3 * 240, `only ${compared} comparisons`);
});

test('100,000 nested undefined-length sequences end in TOO_DEEP, never a stack overflow', () => {
  const depth = 100_000;
  for (const form of ['explicit', 'implicit', 'defined'] as const) {
    const bytes = nestedStream(depth, form);
    for (const chunked of [false, true]) {
      const what = `${form}, ${chunked ? 'chunked' : 'one shot'}`;
      const rng = new Prng(SEED);
      const outcome = attempt(() =>
        chunked ? parseChunked(bytes, {}, rng, 4096) : parseBuffer(bytes),
      );
      assert.equal(outcome.ok, false, `${what}: parsed 100,000 levels with maxDepth 128`);
      if (!outcome.ok) {
        assert.ok(outcome.error instanceof DicomError, `${what}: ${describeError(outcome.error)}`);
        assert.equal(outcome.error.code, 'TOO_DEEP', what);
      }
    }
    // With a limit above the depth: parses (iteratively) or fails cleanly.
    const outcome = attempt(() => parseBuffer(bytes, { maxDepth: 200_000 }));
    if (outcome.ok) {
      assert.equal(nestingDepth(outcome.result.dataset), depth, form);
      assert.equal(outcome.result.warnings.length, 0, form);
    } else {
      assert.ok(outcome.error instanceof DicomError, `${form}: ${describeError(outcome.error)}`);
    }
  }
});

test('a nesting exactly at maxDepth parses; one deeper is TOO_DEEP', () => {
  const bytes = nestedStream(5, 'explicit');
  assert.equal(nestingDepth(parseBuffer(bytes, { maxDepth: 5 }).dataset), 5);
  assert.throws(
    () => parseBuffer(bytes, { maxDepth: 4 }),
    (e: unknown) => e instanceof DicomError && e.code === 'TOO_DEEP',
  );
});

test('a value arriving in 100,000 tiny chunks parses without quadratic cost', () => {
  // ByteQueue must not cost O(chunks) per consumed chunk (a network stream delivers large values
  // in many segments): 256 KB in 1..4-byte writes takes well under a second when linear.
  const value = 'x'.repeat(256 * 1024);
  const bytes = part10Header(EXPLICIT_VR_LITTLE_ENDIAN)
    .explicit(0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.7', '\0')
    .explicit(0x0009, 0x0010, 'LO', 'FUZZ')
    .explicit(0x0009, 0x1001, 'OB', value)
    .done();
  const rng = new Prng(SEED);
  const cpu0 = process.cpuUsage();
  const parser = new DicomParser();
  for (let position = 0; position < bytes.length;) {
    const n = rng.range(1, 4);
    parser.write(bytes.subarray(position, position + n));
    position += n;
  }
  const result = parser.end();
  const cpu = process.cpuUsage(cpu0);
  const ms = (cpu.user + cpu.system) / 1000;
  const element = result.dataset.get(0x00091001);
  assert.equal(element?.kind === 'value' ? element.bytes?.length : undefined, value.length);
  assert.ok(ms < CASE_CPU_LIMIT_MS, `${ms.toFixed(0)} ms of CPU for ${bytes.length} bytes`);
});

test('a declared huge length allocates nothing and ends in a DicomError', () => {
  const huge = [0x7ffffff0, 0x3ffffff0, 0xfffffff0];
  const streams: [string, Uint8Array][] = [];
  for (const length of huge) {
    const hex = length.toString(16);
    const explicit = part10Header(EXPLICIT_VR_LITTLE_ENDIAN)
      .explicit(0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.7', '\0')
      .explicit(0x0009, 0x0010, 'LO', 'FUZZ')
      .tag(0x0009, 0x1001)
      .text('OB')
      .u16(0)
      .u32(length)
      .bytes(new Uint8Array(100));
    streams.push([`explicit OB of 0x${hex}`, explicit.done()]);
    const implicit = part10Header(IMPLICIT_VR_LITTLE_ENDIAN)
      .implicit(0x0008, 0x0016, '1.2.840.10008.5.1.4.1.1.7', '\0')
      .tag(0x0010, 0x0010)
      .u32(length)
      .bytes(new Uint8Array(100));
    streams.push([`implicit PN of 0x${hex}`, implicit.done()]);
    const sequence = part10Header(EXPLICIT_VR_LITTLE_ENDIAN)
      .tag(...CONTENT_SEQUENCE)
      .text('SQ')
      .u16(0)
      .u32(length)
      .tag(0xfffe, 0xe000)
      .u32(length - 8)
      .explicit(0x0008, 0x0100, 'SH', 'X');
    streams.push([`sequence and item of 0x${hex}`, sequence.done()]);
    const fragments = part10Header('1.2.840.10008.1.2.4.70')
      .tag(0x7fe0, 0x0010)
      .text('OB')
      .u16(0)
      .u32(0xffffffff)
      .tag(0xfffe, 0xe000)
      .u32(0)
      .tag(0xfffe, 0xe000)
      .u32(length)
      .bytes(new Uint8Array(100));
    streams.push([`pixel data fragment of 0x${hex}`, fragments.done()]);
  }
  const optionSets: ParseOptions[] = [
    {},
    { maxValueLength: 0xffffffff },
    { bulkThreshold: 1024 },
    { untilTag: PIXEL_DATA },
  ];
  collectGarbage();
  const before = process.memoryUsage();
  const rng = new Prng(SEED);
  for (const [name, bytes] of streams) {
    for (const options of optionSets) {
      for (const chunked of [false, true]) {
        const what = `${name} ${JSON.stringify(options)} ${chunked ? 'chunked' : 'one shot'}`;
        const outcome = attempt(() =>
          chunked ? parseChunked(bytes, options, rng, 64, true) : parseBuffer(bytes, options),
        );
        if (!outcome.ok) {
          assert.ok(
            outcome.error instanceof DicomError,
            `${what}: ${describeError(outcome.error)}`,
          );
        } else {
          // Only a header read stops before the huge pixel data.
          assert.ok(options.untilTag !== undefined, `${what}: parsed`);
        }
        const after = process.memoryUsage();
        assert.ok(after.arrayBuffers - before.arrayBuffers < 16 * MB, `${what}: allocated`);
        assert.ok(after.rss - before.rss < 64 * MB, `${what}: RSS grew`);
      }
    }
  }
});
