// Header parsing benchmark (issue 2), `npx tsx bench/parse.bench.ts`:
//
// 1. Speed: the headers (everything before Pixel Data) of (a) the well-formed files of test/corpus
//    (MANIFEST.tsv rows whose note does not start with MALFORMED) and (b) the 2000 synthetic CT
//    files of bench/generate-ct.ts, read by four sides in the same run:
//      - ours: the incremental DicomParser (`parseBuffer`, the parser `readDicomFile` and the
//        receiver feed chunk by chunk) with `untilTag: PIXEL_DATA`, then `readValue(..., {lenient})`
//        on every element of the meta group, the dataset and every sequence item: strings split and
//        decoded through the Specific Character Set, DS/IS to numbers, DA/TM/DT parsed, PN split
//        into groups, binary VRs as typed arrays; what `niffler dump` and the receiver's indexing
//        read.
//      - dicom-parser 1.8.21: `parseDicom(bytes, {untilTag: 'x7fe00010', vrCallback})` (it only
//        records offsets), then every element touched the way its API offers: `string()` for text
//        VRs, DS/IS split and converted to numbers, DA/TM/PN through its parseDA/parseTM/parsePN,
//        uint16/int16/uint32/int32/float/double per value for binary VRs, a Uint8Array view for
//        OB/OW/UN. It has no dictionary: for implicit VR files the VR comes from ours (a Map
//        lookup, passed as vrCallback too so it recognises sequences).
//      - dcmjs 0.51.1: `DicomMessage.readFile(arrayBuffer, {untilTag: '7FE00010'})`, which decodes
//        every value while parsing (strings, numbers, PN objects); then every Value is walked.
//      - pydicom 2.3.1 (Debian's, /usr/bin/python3, bench/pydicom_headers.py): `dcmread(f,
//        stop_before_pixels=True)` then `elem.value` for every meta element and every element of
//        `iterall()` (pydicom converts raw elements lazily, on that access). Timed inside python.
//    Every file's bytes are read into memory before timing, for every side (pydicom gets a
//    BytesIO); with BENCH_PARSE_MODE=disk every side reads the file inside the timing instead
//    (ours through `readDicomFileSync`, which reads the first 64 KiB only; dicom-parser and dcmjs
//    need the whole file; pydicom opens the path). A file that any side cannot read is left out
//    for every side, and counted. Warm-up pass, then RUNS (default 5) runs alternating the sides;
//    medians. Ratios are time(peer) / time(ours): above 1 means ours is faster. Wall time is the
//    ratio; CPU time (process.cpuUsage, Python's process_time) is printed beside it, as it moves
//    less when other work shares the machine.
// 2. Memory: a 2 GB synthetic file (the first CT file's header, then a Pixel Data element of
//    2 GiB defined length whose body is a sparse hole: no disk used) read in a child process by
//    `readDicomFile(path, {bulkThreshold: 1024})` (what `niffler dump` does): peak RSS growth of
//    the child over its RSS before the read. dicom-parser and dcmjs take the whole file as one
//    buffer: they would need its size (printed, not allocated).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as DicomParserModule from 'dicom-parser';
import {
  elementVM,
  lookupTag,
  parseBuffer,
  PIXEL_DATA,
  readValue,
  type Dataset,
} from '../src/dicom/index.js';
import { readDicomFile, readDicomFileSync } from '../src/io/dicom-file.js';
import { corpusPath, readManifest } from '../test/helpers/corpus.js';
import { DATA_DIR, ensureCtFiles } from './generate-ct.js';

const require = createRequire(import.meta.url);
const dicomParser = require('dicom-parser') as typeof DicomParserModule;
const dcmjs = require('dcmjs') as Dcmjs;

const RUNS = Number(process.env['BENCH_PARSE_RUNS'] ?? 5);
// ensureCtFiles regenerates the set for another count: always ask for 2000, use fewer if asked.
const CT_COUNT = Number(process.env['BENCH_PARSE_FILES'] ?? 2000);
const MODE = process.env['BENCH_PARSE_MODE'] === 'disk' ? 'disk' : 'memory';
const PYTHON = '/usr/bin/python3'; // Debian's python3-pydicom installs for this one only
const BENCH = path.dirname(fileURLToPath(import.meta.url));
const PYDICOM_SCRIPT = path.join(BENCH, 'pydicom_headers.py');
const WORK = path.join(DATA_DIR, 'parse');
const BIG_SIZE = 2 ** 31; // the Pixel Data value length of the memory test
const RSS_TARGET_MB = 64;

// dcmjs ships no types: the little of it used here.
interface DcmjsElement {
  readonly vr: string;
  readonly Value?: unknown;
}
type DcmjsDict = Record<string, DcmjsElement>;
interface Dcmjs {
  readonly data: {
    readonly DicomMessage: {
      readFile(
        buffer: ArrayBuffer,
        options: { untilTag: string; includeUntilTagValue: boolean; ignoreErrors: boolean },
      ): { meta: DcmjsDict; dict: DcmjsDict };
    };
  };
  readonly log: {
    setLevel(level: string): void;
    getLogger(name: string): { setLevel(level: string): void };
  };
}

type Side = 'ours' | 'dicom-parser' | 'dcmjs' | 'pydicom';
const SIDES: readonly Side[] = ['ours', 'dicom-parser', 'dcmjs', 'pydicom'];

interface SetResult {
  readonly name: string;
  readonly files: number;
  readonly bytes: number;
  readonly excluded: Record<string, number>;
  readonly runs: Record<Side, number[]>;
  readonly medians: Record<Side, number>;
  /** CPU time of the same passes: less moved by other load on the machine than wall time. */
  readonly cpuRuns: Record<Side, number[]>;
  readonly cpuMedians: Record<Side, number>;
}

// -------------------------------------------------------------------------------------------------
// The four sides. Each returns how many values it touched, so no work can be optimised away.

function oursFile(file: string, bytes: Uint8Array): number {
  const result =
    MODE === 'disk'
      ? readDicomFileSync(file, { untilTag: PIXEL_DATA })
      : parseBuffer(bytes, { untilTag: PIXEL_DATA });
  return touchOurs(result.meta) + touchOurs(result.dataset);
}

function touchOurs(dataset: Dataset): number {
  let n = 0;
  for (const element of dataset.elements.values()) {
    if (element.kind === 'sequence') {
      for (const item of element.items) n += touchOurs(item.dataset);
    }
    n += elementVM(readValue(dataset, element, { lenient: true }));
  }
  return n;
}

function dicomParserFile(file: string, bytes: Uint8Array): number {
  const data = MODE === 'disk' ? readFileSync(file) : bytes;
  const dataSet = dicomParser.parseDicom(data, { untilTag: 'x7fe00010', vrCallback: vrOfKey });
  return touchDicomParser(dataSet);
}

function vrOfKey(key: string): string {
  return lookupTag(parseInt(key.slice(1), 16))?.vrs[0] ?? 'UN';
}

function touchDicomParser(ds: DicomParserModule.DataSet): number {
  let n = 0;
  for (const key in ds.elements) {
    const element = ds.elements[key]!;
    if (element.items !== undefined) {
      for (const item of element.items) {
        if (item.dataSet !== undefined) n += touchDicomParser(item.dataSet);
      }
      n++;
      continue;
    }
    if (key === 'x7fe00010' || element.fragments !== undefined) continue;
    const vr = element.vr ?? vrOfKey(key);
    const count = (width: number): number => Math.floor(element.length / width);
    switch (vr) {
      case 'US':
        for (let k = 0; k < count(2); k++) n += ds.uint16(key, k) === undefined ? 0 : 1;
        break;
      case 'SS':
        for (let k = 0; k < count(2); k++) n += ds.int16(key, k) === undefined ? 0 : 1;
        break;
      case 'UL':
        for (let k = 0; k < count(4); k++) n += ds.uint32(key, k) === undefined ? 0 : 1;
        break;
      case 'SL':
        for (let k = 0; k < count(4); k++) n += ds.int32(key, k) === undefined ? 0 : 1;
        break;
      case 'FL':
        for (let k = 0; k < count(4); k++) n += ds.float(key, k) === undefined ? 0 : 1;
        break;
      case 'FD':
        for (let k = 0; k < count(8); k++) n += ds.double(key, k) === undefined ? 0 : 1;
        break;
      case 'AT':
        n += count(4);
        for (let k = 0; k < count(2); k++) ds.uint16(key, k);
        break;
      case 'OB':
      case 'OW':
      case 'OF':
      case 'OD':
      case 'OL':
      case 'OV':
      case 'UN':
      case 'SV':
      case 'UV':
        n +=
          new Uint8Array(
            ds.byteArray.buffer,
            ds.byteArray.byteOffset + element.dataOffset,
            element.length,
          ).length > 0
            ? 1
            : 0;
        break;
      case 'DS':
      case 'IS': {
        const text = ds.string(key);
        if (text !== undefined) n += text.split('\\').map(Number).length;
        break;
      }
      case 'DA': {
        const text = ds.string(key);
        if (text !== undefined) n += text.split('\\').map((t) => dicomParser.parseDA(t)).length;
        break;
      }
      case 'TM': {
        const text = ds.string(key);
        if (text !== undefined) n += text.split('\\').map((t) => dicomParser.parseTM(t)).length;
        break;
      }
      case 'PN': {
        const text = ds.string(key);
        if (text !== undefined) n += text.split('\\').map((t) => dicomParser.parsePN(t)).length;
        break;
      }
      default: {
        const text = ds.string(key);
        if (text !== undefined) n += text.split('\\').length;
      }
    }
  }
  return n;
}

function dcmjsFile(file: string, bytes: Uint8Array): number {
  const data = MODE === 'disk' ? readFileSync(file) : bytes;
  // readFile wants an ArrayBuffer of the file alone.
  const buffer =
    data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      ? (data.buffer as ArrayBuffer)
      : (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
  const { meta, dict } = dcmjs.data.DicomMessage.readFile(buffer, {
    untilTag: '7FE00010',
    includeUntilTagValue: false,
    ignoreErrors: false,
  });
  return touchDcmjs(meta) + touchDcmjs(dict);
}

function touchDcmjs(dict: DcmjsDict): number {
  let n = 0;
  for (const key in dict) {
    const element = dict[key]!;
    // (The untilTag element itself is there with Value 0 and no VR.)
    const values = Array.isArray(element.Value) ? element.Value : [];
    if (element.vr === 'SQ') {
      for (const item of values) n += touchDcmjs(item as DcmjsDict);
    }
    n += values.length;
  }
  return n;
}

type JsSide = Exclude<Side, 'pydicom'>;
const JS_SIDES: Record<JsSide, (file: string, bytes: Uint8Array) => number> = {
  ours: oursFile,
  'dicom-parser': dicomParserFile,
  dcmjs: dcmjsFile,
};

/** Wall-clock and CPU milliseconds for one pass of a JS side over the files. */
function timeJs(
  side: JsSide,
  files: readonly string[],
  contents: readonly Uint8Array[],
): { wall: number; cpu: number } {
  const read = JS_SIDES[side];
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (let k = 0; k < files.length; k++) sink += read(files[k]!, contents[k]!);
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  if (sink === 0) throw new Error(`${side} touched no value`);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

interface PydicomOutput {
  readonly version: string;
  readonly ok: boolean[];
  readonly errors: Record<string, string>;
  readonly rounds: number[];
  readonly cpu_rounds: number[];
  readonly elements: number;
}

/** Runs bench/pydicom_headers.py (its own untimed warm-up pass, then `rounds` timed passes). */
function pydicom(files: readonly string[], rounds: number): PydicomOutput {
  mkdirSync(WORK, { recursive: true });
  const list = path.join(WORK, 'files.txt');
  writeFileSync(list, files.join('\n') + '\n');
  const args = [PYDICOM_SCRIPT, list, String(rounds), ...(MODE === 'memory' ? ['--memory'] : [])];
  const run = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error !== undefined || run.status !== 0) {
    throw new Error(`pydicom_headers.py failed: ${run.error?.message ?? run.stderr.slice(-2000)}`);
  }
  return JSON.parse(run.stdout) as PydicomOutput;
}

// -------------------------------------------------------------------------------------------------
// Speed

function benchSet(name: string, candidates: readonly string[]): SetResult {
  // Which files every side can read (this pass is also the JS sides' warm-up).
  const excluded: Record<string, number> = {};
  // Buffers, as a file read hands them to every side (dicom-parser inflates deflated data only
  // when given a Buffer).
  const contents = candidates.map((file) => readFileSync(file));
  const readable = candidates.map(() => true);
  for (const side of Object.keys(JS_SIDES) as JsSide[]) {
    candidates.forEach((file, k) => {
      try {
        JS_SIDES[side](file, contents[k]!);
      } catch {
        if (readable[k]) excluded[side] = (excluded[side] ?? 0) + 1;
        readable[k] = false;
      }
    });
  }
  const py = pydicom(candidates, 0);
  py.ok.forEach((ok, k) => {
    if (!ok && readable[k]) {
      excluded['pydicom'] = (excluded['pydicom'] ?? 0) + 1;
      readable[k] = false;
    }
  });
  const files = candidates.filter((_, k) => readable[k]);
  const kept = contents.filter((_, k) => readable[k]);
  const bytes = kept.reduce((sum, c) => sum + c.length, 0);
  const left = Object.entries(excluded)
    .map(([side, n]) => `${n} unreadable by ${side}`)
    .join(', ');
  console.log(
    `\n${name}: ${files.length} of ${candidates.length} files (${(bytes / 1e6).toFixed(1)} MB)` +
      (left === '' ? '' : `; left out: ${left}`),
  );
  // Warm-up, and how many values each side hands back (a check that all do the same work).
  const touched: string[] = [];
  for (const side of Object.keys(JS_SIDES) as JsSide[]) {
    timeJs(side, files, kept);
    let n = 0;
    for (let k = 0; k < files.length; k++) n += JS_SIDES[side](files[k]!, kept[k]!);
    touched.push(`${side} ${n}`);
  }
  console.log(`  values touched per pass: ${touched.join(', ')}`);

  const runs = { ours: [], 'dicom-parser': [], dcmjs: [], pydicom: [] } as Record<Side, number[]>;
  const cpuRuns = { ours: [], 'dicom-parser': [], dcmjs: [], pydicom: [] } as Record<
    Side,
    number[]
  >;
  for (let run = 1; run <= RUNS; run++) {
    const line: string[] = [];
    for (const side of SIDES) {
      let time: { wall: number; cpu: number };
      if (side === 'pydicom') {
        const out = pydicom(files, 1);
        time = { wall: out.rounds[0]!, cpu: out.cpu_rounds[0]! };
      } else {
        time = timeJs(side, files, kept);
      }
      runs[side].push(time.wall);
      cpuRuns[side].push(time.cpu);
      line.push(`${side} ${time.wall.toFixed(0)} ms (cpu ${time.cpu.toFixed(0)})`);
    }
    console.log(`  run ${run}: ${line.join(', ')}`);
  }
  const medianOf = (all: Record<Side, number[]>): Record<Side, number> =>
    Object.fromEntries(SIDES.map((side) => [side, median(all[side])])) as Record<Side, number>;
  const medians = medianOf(runs);
  const cpuMedians = medianOf(cpuRuns);
  console.log(
    `  ${'side'.padEnd(14)}${'median ms'.padStart(10)}${'us/file'.padStart(10)}${'cpu ms'.padStart(10)}`,
  );
  for (const side of SIDES) {
    const ms = medians[side];
    console.log(
      `  ${side.padEnd(14)}${ms.toFixed(1).padStart(10)}` +
        `${((ms * 1000) / files.length).toFixed(1).padStart(10)}${cpuMedians[side].toFixed(1).padStart(10)}`,
    );
  }
  return { name, files: files.length, bytes, excluded, runs, medians, cpuRuns, cpuMedians };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// -------------------------------------------------------------------------------------------------
// Memory

/**
 * Writes the big file: the CT file's bytes up to its Pixel Data element, then a Pixel Data
 * element (OW, explicit VR LE) of BIG_SIZE bytes left as a hole. Returns the path and size.
 */
function writeBigFile(ctFile: string): { file: string; size: number } {
  const ct = new Uint8Array(readFileSync(ctFile));
  const header = parseBuffer(ct, { untilTag: PIXEL_DATA });
  if (header.stoppedAt === undefined) throw new Error(`${ctFile} has no Pixel Data`);
  if (header.transferSyntaxUid !== '1.2.840.10008.1.2.1') {
    throw new Error(`${ctFile} is not explicit VR little endian`);
  }
  const element = new Uint8Array(12);
  const view = new DataView(element.buffer);
  view.setUint16(0, 0x7fe0, true);
  view.setUint16(2, 0x0010, true);
  element[4] = 0x4f; // 'O'
  element[5] = 0x57; // 'W'
  view.setUint32(8, BIG_SIZE, true);
  mkdirSync(WORK, { recursive: true });
  const file = path.join(WORK, 'big-2gb.dcm');
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, ct.subarray(0, header.stoppedAt.offset));
    writeSync(fd, element);
    ftruncateSync(fd, header.stoppedAt.offset + 12 + BIG_SIZE);
  } finally {
    closeSync(fd);
  }
  return { file, size: header.stoppedAt.offset + 12 + BIG_SIZE };
}

interface ChildReport {
  readonly rssBeforeMb: number;
  readonly maxRssMb: number;
  readonly pixelOffset: number;
  readonly pixelLength: number;
}

/** In the child: read the big file's header and report RSS. */
async function child(file: string): Promise<void> {
  // Warm the code paths on a small file so what is measured is the big file's reading.
  await readDicomFile(ensureCtFiles(2000)[0]!, { bulkThreshold: 1024 });
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const maxBefore = process.resourceUsage().maxRSS * 1024;
  // Sample RSS while the read runs; maxRSS counts too when the read pushes it past its old peak
  // (the peak of start-up, before rssBefore, is not the read's).
  let peak = rssBefore;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 1);
  const result = await readDicomFile(file, { bulkThreshold: 1024 });
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const maxAfter = process.resourceUsage().maxRSS * 1024;
  if (maxAfter > maxBefore) peak = Math.max(peak, maxAfter);
  const pixel = result.dataset.get(PIXEL_DATA);
  if (pixel?.kind !== 'value' || pixel.bulk === undefined) throw new Error('no bulk Pixel Data');
  const report: ChildReport = {
    rssBeforeMb: rssBefore / 2 ** 20,
    maxRssMb: peak / 2 ** 20,
    pixelOffset: pixel.bulk.offset,
    pixelLength: pixel.bulk.length,
  };
  process.stdout.write(JSON.stringify(report));
}

function memory(): { rssGrowthMb: number; fileMb: number; report: ChildReport } {
  const { file, size } = writeBigFile(ensureCtFiles(2000)[0]!);
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', file],
    { encoding: 'utf8' },
  );
  if (run.error !== undefined || run.status !== 0) {
    throw new Error(`memory child failed: ${run.error?.message ?? run.stderr.slice(-2000)}`);
  }
  rmSync(file, { force: true });
  const report = JSON.parse(run.stdout) as ChildReport;
  if (report.pixelLength !== BIG_SIZE) throw new Error(`pixel length ${report.pixelLength}`);
  const rssGrowthMb = report.maxRssMb - report.rssBeforeMb;
  const fileMb = size / 2 ** 20;
  console.log(
    `\n2 GB file (${fileMb.toFixed(0)} MiB, sparse): header read by readDicomFile in a child; ` +
      `RSS before ${report.rssBeforeMb.toFixed(1)} MiB, peak ${report.maxRssMb.toFixed(1)} MiB; ` +
      `Pixel Data found at ${report.pixelOffset}, ${report.pixelLength} bytes (not read).`,
  );
  console.log(
    `  dicom-parser and dcmjs parse a buffer of the whole file: they would need ${fileMb.toFixed(0)} MiB.`,
  );
  return { rssGrowthMb, fileMb, report };
}

// -------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  // dcmjs logs every odd VR of the corpus to the console: silenced, like its users would.
  dcmjs.log.setLevel('silent');
  dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');
  const corpus = readManifest()
    .filter((row) => !row.malformed)
    .map((row) => corpusPath(row));
  const malformed = readManifest().length - corpus.length;
  const ct = ensureCtFiles(2000).slice(0, CT_COUNT);
  console.log(
    `mode: ${MODE} (${MODE === 'memory' ? 'bytes read before timing' : 'files read inside the timing'}), ${RUNS} runs, medians; ` +
      `corpus: ${corpus.length} well-formed files (${malformed} MALFORMED skipped)`,
  );
  const sets = [benchSet('corpus', corpus), benchSet('ct', ct)];
  const mem = memory();

  const [corpusSet, ctSet] = sets as [SetResult, SetResult];
  const ratio = (set: SetResult, peer: Side): number => set.medians[peer] / set.medians.ours;
  const cpuRatio = (set: SetResult, peer: Side): number =>
    set.cpuMedians[peer] / set.cpuMedians.ours;
  const pairs: [string, SetResult, Side, string][] = [
    ['parse-corpus-vs-dicom-parser', corpusSet, 'dicom-parser', 'target >= 1.0'],
    ['parse-ct-vs-dicom-parser', ctSet, 'dicom-parser', 'target >= 1.0'],
    ['parse-corpus-vs-dcmjs', corpusSet, 'dcmjs', 'informative'],
    ['parse-ct-vs-dcmjs', ctSet, 'dcmjs', 'informative'],
    ['parse-corpus-vs-pydicom', corpusSet, 'pydicom', 'target >= 10'],
    ['parse-ct-vs-pydicom', ctSet, 'pydicom', 'target >= 10'],
  ];
  const ratios: Record<string, number> = {};
  const cpuRatios: Record<string, number> = {};
  console.log('');
  for (const [name, set, peer, target] of pairs) {
    ratios[name] = ratio(set, peer);
    cpuRatios[name] = cpuRatio(set, peer);
    console.log(
      `RATIO ${name} ${ratios[name].toFixed(2)} (${target}; on CPU time ${cpuRatios[name].toFixed(2)})`,
    );
  }
  console.log(
    `RATIO parse-2gb-header-rss-mb ${mem.rssGrowthMb.toFixed(1)} (target <= ${RSS_TARGET_MB}; dicom-parser needs ${mem.fileMb.toFixed(0)})`,
  );
  mkdirSync(path.join(BENCH, 'results'), { recursive: true });
  writeFileSync(
    path.join(BENCH, 'results', 'parse.json'),
    JSON.stringify({ mode: MODE, runs: RUNS, sets, memory: mem, ratios, cpuRatios }, null, 2),
  );
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!);
} else {
  await main();
}
