// Fixtures for the SCP tests and benchmarks: real peers (DCMTK tools, storescp, Orthanc, openssl)
// spawned with argument arrays, our DicomServer on a free port with a temporary directory, the
// corpus as DICOM instances, a small query/retrieve index with handlers, a minimal C-STORE SCU
// and a DicomServer in a child process (for memory measurements).
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Dataset, EXPLICIT_LITTLE } from '../../src/dicom/dataset.js';
import { tagForKeyword } from '../../src/dicom/dictionary/index.js';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import { PIXEL_DATA, type Tag } from '../../src/dicom/tag.js';
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../../src/dicom/transfer-syntax.js';
import { readStrings } from '../../src/dicom/values/strings.js';
import { setBytes, setStrings } from '../../src/dicom/write/edit.js';
import { TEMP_PREFIX } from '../../src/io/durable-file.js';
import {
  encodeCommand,
  Priority,
  type Command,
  type SubOperations,
} from '../../src/net/dimse/command.js';
import { Status } from '../../src/net/dimse/status.js';
import { buildAssociateRq, negotiated } from '../../src/net/negotiation/index.js';
import {
  encodePduBytes,
  PduDecoder,
  type AAssociateRq,
  type PDataTf,
  type Pdu,
} from '../../src/net/pdu/index.js';
import { directoryStore } from '../../src/net/services/directory-store.js';
import {
  DimseStatusError,
  type FindHandler,
  type GetHandler,
  type MoveHandler,
  type RetrieveResult,
  type ServiceHandlers,
} from '../../src/net/services/handlers.js';
import {
  DicomServer,
  serverTlsFromFiles,
  type ServerEvent,
  type ServerOptions,
} from '../../src/net/services/server.js';
import { DicomConnection, type Ending } from '../../src/net/transport/connection.js';
import { corpusPath, readManifest, type ManifestRow } from './corpus.js';
import {
  freePort,
  LOCALHOST,
  makeTlsMaterial,
  PEER_ENV,
  removeDir,
  sleep,
  tempDir,
  waitForPort as pollPort,
  type TlsMaterial,
} from './peers.js';

export { LOCALHOST, PEER_ENV, freePort, removeDir, sleep };

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The built CLI (scripts/test.sh builds dist/ before the tests run). */
export const NIFFLER_BIN = path.join(REPO_ROOT, 'bin/niffler.js');

// --- Processes --------------------------------------------------------------------------------

export interface ToolResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface RunningTool {
  readonly child: ChildProcess;
  readonly done: Promise<ToolResult>;
  /** Output so far (stdout then stderr). */
  output(): string;
  /** SIGTERM (SIGKILL after `graceMs`), then the result. */
  stop(graceMs?: number): Promise<ToolResult>;
}

export interface ToolOptions {
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly cwd?: string | undefined;
  /** Killed (SIGKILL) after this long. Default 60 s. */
  readonly timeoutMs?: number | undefined;
}

/** Starts a program with an argument array (never a shell) and collects its output. */
export function startTool(command: string, args: readonly string[], options: ToolOptions = {}) {
  const child = spawn(command, args, {
    env: options.env ?? PEER_ENV,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 60_000);
  const done = new Promise<ToolResult>((resolve) => {
    child.on('error', (error) => {
      stderr += String(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  const running: RunningTool = {
    child,
    done,
    output: () => stdout + stderr,
    stop: async (graceMs = 5_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const result = await done;
        clearTimeout(kill);
        return result;
      }
      return done;
    },
  };
  return running;
}

/** Runs a program to completion. */
export function runTool(
  command: string,
  args: readonly string[],
  options: ToolOptions = {},
): Promise<ToolResult> {
  return startTool(command, args, options).done;
}

/** One line for an assertion message: the command's exit and its output. */
export function describeResult(result: ToolResult): string {
  const how = result.timedOut ? 'timed out' : `exit ${result.code ?? result.signal ?? '?'}`;
  return `${how}\n${result.stdout}${result.stderr}`;
}

/**
 * Waits until something accepts connections on `port` (peers.ts's poll, a positional timeout).
 * Given the tool that should listen, fails at once with its output if it exits first (a port
 * taken meanwhile, a bad configuration) instead of at the timeout with nothing to go on.
 */
export function waitForPort(port: number, timeoutMs = 10_000, tool?: RunningTool): Promise<void> {
  return pollPort(port, { timeoutMs, ...(tool !== undefined && { process: tool }) });
}

export const makeTempDir = tempDir;

/** Temporary files (ReceivedFile's prefix) left in `directory`. */
export function tempFilesIn(directory: string): string[] {
  return readdirSync(directory).filter((name) => name.startsWith(TEMP_PREFIX));
}

/** Resident set size now and at its peak (kB), from /proc/PID/status. */
export function processMemory(pid: number): { rssKb: number; hwmKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (match === null) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

// --- DICOM files ------------------------------------------------------------------------------

export const tags = {
  MediaStorageSOPClassUID: keyword('MediaStorageSOPClassUID'),
  MediaStorageSOPInstanceUID: keyword('MediaStorageSOPInstanceUID'),
  TransferSyntaxUID: keyword('TransferSyntaxUID'),
  SourceApplicationEntityTitle: keyword('SourceApplicationEntityTitle'),
  SOPClassUID: keyword('SOPClassUID'),
  SOPInstanceUID: keyword('SOPInstanceUID'),
  PatientID: keyword('PatientID'),
  PatientName: keyword('PatientName'),
  StudyInstanceUID: keyword('StudyInstanceUID'),
  StudyDate: keyword('StudyDate'),
  SeriesInstanceUID: keyword('SeriesInstanceUID'),
  Modality: keyword('Modality'),
  QueryRetrieveLevel: keyword('QueryRetrieveLevel'),
} as const;

function keyword(name: string): Tag {
  const tag = tagForKeyword(name);
  if (tag === undefined) throw new Error(`no tag for ${name}`);
  return tag;
}

/** The first value of a string element, or undefined when absent or empty. */
export function stringOf(dataset: Dataset, tag: Tag): string | undefined {
  const element = dataset.get(tag);
  if (element?.kind !== 'value') return undefined;
  return readStrings(dataset, element)[0];
}

/** All values of a string element ([] when absent or empty). */
export function stringsOf(dataset: Dataset, tag: Tag): string[] {
  const element = dataset.get(tag);
  if (element?.kind !== 'value') return [];
  return readStrings(dataset, element);
}

export interface Part10File {
  readonly path: string;
  readonly meta: Dataset;
  /** The data set up to Pixel Data. */
  readonly header: Dataset;
  readonly transferSyntaxUid: string;
  readonly datasetOffset: number;
  /** The bytes after the file meta group, as stored. */
  readonly datasetBytes: Buffer;
}

/** Reads a Part 10 file; `datasetBytes` is everything after the file meta group. */
export function readPart10(file: string): Part10File {
  const bytes = readFileSync(file);
  const result = parseBuffer(bytes, { untilTag: PIXEL_DATA });
  return {
    path: file,
    meta: result.meta,
    header: result.dataset,
    transferSyntaxUid: result.transferSyntaxUid,
    datasetOffset: result.datasetOffset,
    datasetBytes: bytes.subarray(result.datasetOffset),
  };
}

/** Every DICOM file in `directory` by its MediaStorageSOPInstanceUID (storescp and ours name them differently). */
export function filesBySopInstance(directory: string): Map<string, Part10File> {
  const out = new Map<string, Part10File>();
  for (const name of readdirSync(directory)) {
    if (name.startsWith('.')) continue;
    const file = readPart10(path.join(directory, name));
    const uid = stringOf(file.meta, tags.MediaStorageSOPInstanceUID);
    if (uid !== undefined) out.set(uid, file);
  }
  return out;
}

/** How a received data set compares with the original file and with a witness's copy. */
export interface Arrival {
  readonly instance: CorpusInstance;
  readonly received: Part10File;
  /** Byte-identical to the original file's data set. */
  readonly identical: boolean;
  /** Not identical, but equal to the witness's copy: the sender re-encoded it on the wire. */
  readonly reencodedBySender: boolean;
}

/**
 * Checks that each instance arrived with the data set bytes that were sent: equal to the
 * original's, or, where the sender re-encoded it, equal to what the bit-preserving witness
 * (storescp +B) received from the same sender in the same transfer syntax. Throws otherwise.
 */
export function compareArrivals(
  instances: readonly CorpusInstance[],
  received: ReadonlyMap<string, Part10File>,
  witnessed: ReadonlyMap<string, Part10File>,
): Arrival[] {
  return instances.map((instance) => {
    const file = received.get(instance.sopInstanceUid);
    if (file === undefined) throw new Error(`${instance.name}: not received`);
    const identical = file.datasetBytes.equals(readPart10(instance.path).datasetBytes);
    if (identical) return { instance, received: file, identical, reencodedBySender: false };
    const seen = witnessed.get(instance.sopInstanceUid);
    if (seen === undefined) {
      throw new Error(`${instance.name}: differs from the original; the witness has no copy`);
    }
    if (seen.transferSyntaxUid !== file.transferSyntaxUid) {
      throw new Error(
        `${instance.name}: differs from the original; the witness got ${seen.transferSyntaxUid}, we ${file.transferSyntaxUid}`,
      );
    }
    if (!file.datasetBytes.equals(seen.datasetBytes)) {
      throw new Error(`${instance.name}: differs from the original and from the witness's copy`);
    }
    return { instance, received: file, identical, reencodedBySender: true };
  });
}

/** One line for the test log: how many were identical, which ones the sender re-encoded. */
export function summarizeArrivals(sender: string, arrivals: readonly Arrival[]): string {
  const reencoded = arrivals.filter((a) => a.reencodedBySender);
  return (
    `${sender}: ${arrivals.length} objects, ${arrivals.length - reencoded.length} byte-identical ` +
    `to the original; ${reencoded.length} re-encoded by the sender and identical to ` +
    `storescp +B's copy${reencoded.length > 0 ? ': ' : ''}` +
    reencoded.map((a) => path.basename(a.instance.name)).join(', ')
  );
}

// --- The corpus as instances ----------------------------------------------------------------

export interface CorpusInstance {
  /** Path relative to test/corpus. */
  readonly name: string;
  readonly path: string;
  readonly row: ManifestRow;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly patientId: string;
  readonly patientName: string;
  readonly studyInstanceUid: string;
  readonly studyDate: string;
  readonly seriesInstanceUid: string;
  readonly modality: string;
  readonly datasetOffset: number;
}

let corpusInstances: CorpusInstance[] | undefined;

/**
 * The corpus files usable as network instances: well-formed, with file meta, SOP class and
 * instance UIDs that agree with the meta, unique SOP instance UIDs (the first file wins).
 */
export function allCorpusInstances(): CorpusInstance[] {
  if (corpusInstances !== undefined) return corpusInstances;
  const seen = new Set<string>();
  const out: CorpusInstance[] = [];
  for (const row of readManifest()) {
    if (row.malformed || !/^1\.2\.840\.10008\.1\.2/.test(row.transfer_syntax_uid)) continue;
    if (row.sop_class_uid === '') continue;
    let file: Part10File;
    try {
      file = readPart10(corpusPath(row));
    } catch {
      continue;
    }
    const sopClassUid = stringOf(file.header, tags.SOPClassUID);
    const sopInstanceUid = stringOf(file.header, tags.SOPInstanceUID);
    if (sopClassUid === undefined || sopInstanceUid === undefined || seen.has(sopInstanceUid)) {
      continue;
    }
    // A UID encoded as UN (pydicom's rtdose_rle.dcm) is sent by DCMTK as a garbled command.
    if ([tags.SOPClassUID, tags.SOPInstanceUID].some((t) => file.header.get(t)?.wireVR === 'UN')) {
      continue;
    }
    if (
      stringOf(file.meta, tags.MediaStorageSOPClassUID) !== sopClassUid ||
      stringOf(file.meta, tags.MediaStorageSOPInstanceUID) !== sopInstanceUid ||
      file.transferSyntaxUid !== row.transfer_syntax_uid
    ) {
      continue;
    }
    seen.add(sopInstanceUid);
    const text = (tag: Tag): string => {
      try {
        return stringOf(file.header, tag) ?? '';
      } catch {
        return '';
      }
    };
    out.push({
      name: row.path,
      path: corpusPath(row),
      row,
      sopClassUid,
      sopInstanceUid,
      transferSyntaxUid: file.transferSyntaxUid,
      patientId: text(tags.PatientID),
      patientName: text(tags.PatientName),
      studyInstanceUid: text(tags.StudyInstanceUID),
      studyDate: text(tags.StudyDate),
      seriesInstanceUid: text(tags.SeriesInstanceUID),
      modality: text(tags.Modality),
      datasetOffset: file.datasetOffset,
    });
  }
  corpusInstances = out;
  return out;
}

/** Up to `perSyntax` instances of each transfer syntax, smallest first. */
export function pickInstances(
  transferSyntaxes: readonly string[],
  perSyntax: number,
  where: (instance: CorpusInstance) => boolean = () => true,
): CorpusInstance[] {
  const all = allCorpusInstances().filter(where);
  return transferSyntaxes.flatMap((ts) =>
    all
      .filter((instance) => instance.transferSyntaxUid === ts)
      .sort((a, b) => Number(a.row.size_bytes) - Number(b.row.size_bytes))
      .slice(0, perSyntax),
  );
}

/** The data set bytes of a file, streamed (what a C-STORE sends). */
export function datasetChunks(file: string, offset: number): AsyncIterable<Uint8Array> {
  return createReadStream(file, { start: offset, highWaterMark: 64 * 1024 });
}

// --- Our SCP in this process ----------------------------------------------------------------

export interface StoredRecord {
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly callingAeTitle: string;
  readonly path: string;
}

export interface TestScp {
  readonly server: DicomServer;
  readonly port: number;
  readonly directory: string;
  readonly stored: StoredRecord[];
  readonly events: ServerEvent[];
  close(): Promise<void>;
}

export type TestScpOptions = Partial<Omit<ServerOptions, 'handlers' | 'port'>> & {
  readonly handlers?: ServiceHandlers | undefined;
  /** Where received objects go; default a new temporary directory. */
  readonly directory?: string | undefined;
  readonly fsync?: boolean | undefined;
};

/** Our DicomServer on 127.0.0.1, a free port, storing into a directory (plus any handlers). */
export async function startTestScp(options: TestScpOptions = {}): Promise<TestScp> {
  const directory = options.directory ?? (await makeTempDir('scp'));
  const stored: StoredRecord[] = [];
  const events: ServerEvent[] = [];
  const { handlers, fsync, ...serverOptions } = options;
  const server = new DicomServer({
    aeTitle: 'NIFFLER',
    host: LOCALHOST,
    ...serverOptions,
    port: 0,
    handlers: {
      store: directoryStore({
        directory,
        fsync: fsync ?? true,
        onStored: (file) => stored.push(file),
      }),
      ...handlers,
    },
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  const { port } = await server.listen();
  return {
    server,
    port,
    directory,
    stored,
    events,
    close: async () => {
      await server.close(2_000);
      if (options.directory === undefined) await removeDir(directory);
    },
  };
}

// --- DCMTK peers ------------------------------------------------------------------------------

export interface RunningStorescp {
  readonly port: number;
  readonly aeTitle: string;
  readonly directory: string;
  readonly tool: RunningTool;
}

/** `niffler store-scp` (the built CLI) as `aeTitle` on LOCALHOST:`port`, writing into `out`. */
export function startStoreScpCli(
  aeTitle: string,
  port: number,
  out: string,
  extra: readonly string[] = [],
  options: ToolOptions = {},
): RunningTool {
  return startTool(
    process.execPath,
    [
      NIFFLER_BIN,
      'store-scp',
      '--aet',
      aeTitle,
      '--port',
      String(port),
      '--host',
      LOCALHOST,
      '--out',
      out,
      ...extra,
    ],
    options,
  );
}

/**
 * DCMTK storescp receiving into `directory`; by default bit-preserving (+B: the data set is
 * written as received, so it witnesses what a sender put on the wire) and accepting every
 * transfer syntax it knows (+xa).
 */
export async function startStorescp(options: {
  aeTitle: string;
  directory: string;
  args?: readonly string[];
  /** A fixed port (one a peer is configured with); default a free one. */
  port?: number;
  /** Its environment; default PEER_ENV. */
  env?: NodeJS.ProcessEnv;
}): Promise<RunningStorescp> {
  const port = options.port ?? (await freePort());
  const tool = startTool(
    'storescp',
    [
      '-aet',
      options.aeTitle,
      '-od',
      options.directory,
      ...(options.args ?? ['+B', '+xa']),
      String(port),
    ],
    { timeoutMs: 30 * 60_000, env: options.env },
  );
  await waitForPort(port, 10_000, tool);
  return { port, aeTitle: options.aeTitle, directory: options.directory, tool };
}

/** dcmdump reads the file without an error (exit 0 and no `E:` line). */
export async function dcmdumpReads(file: string): Promise<{ ok: boolean; output: string }> {
  const result = await runTool('dcmdump', ['-q', '+E', file]);
  const output = result.stdout + result.stderr;
  return { ok: result.code === 0 && !/^E:/m.test(output), output };
}

// --- A minimal C-STORE SCU (for C-MOVE handlers and fake senders) ----------------------------

export interface OutgoingFile {
  readonly path: string;
  readonly datasetOffset: number;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
}

export interface StoreTarget {
  readonly host: string;
  readonly port: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
}

/**
 * One association that sends files verbatim: one presentation context per SOP class and
 * transfer syntax, proposing exactly the file's transfer syntax (never transcoding).
 */
export class StoreScu {
  private readonly responses = new Map<number, (status: number) => void>();
  private readonly connection: DicomConnection;
  private readonly associated: Promise<void>;
  private nextMessageId = 1;
  /** How the association ended (resolves once it has). */
  readonly ended: Promise<Ending>;

  private constructor(
    socket: net.Socket,
    rq: AAssociateRq,
    private readonly moveOriginator: { aeTitle: string; messageId: number } | undefined,
  ) {
    let accepted!: () => void;
    let failed!: (error: Error) => void;
    this.associated = new Promise<void>((resolve, reject) => {
      accepted = resolve;
      failed = reject;
    });
    this.associated.catch(() => undefined);
    let endedWith!: (ending: Ending) => void;
    this.ended = new Promise<Ending>((resolve) => (endedWith = resolve));
    this.connection = new DicomConnection(
      socket,
      {
        associateAccepted: (ac) => {
          this.connection.setNegotiated(negotiated(rq, ac, 'requestor'));
          accepted();
        },
        command: ({ command }) => {
          if (command.kind !== 'C-STORE-RSP') return;
          this.responses.get(command.messageIdBeingRespondedTo)?.(command.status);
          this.responses.delete(command.messageIdBeingRespondedTo);
        },
        dataset: () => undefined,
        ended: (ending) => {
          endedWith(ending);
          failed(new Error(`association ended: ${ending.kind}`));
          for (const resolve of this.responses.values()) resolve(Status.ProcessingFailure);
          this.responses.clear();
        },
      },
      { side: 'requestor', maxReceivePduLength: 65_536, idleTimeoutMs: 60_000 },
    );
  }

  static async open(
    target: StoreTarget,
    files: readonly OutgoingFile[],
    options: { moveOriginator?: { aeTitle: string; messageId: number } } = {},
  ): Promise<StoreScu> {
    const pairs = new Map<string, { abstractSyntax: string; transferSyntaxes: string[] }>();
    for (const file of files) {
      pairs.set(`${file.sopClassUid} ${file.transferSyntaxUid}`, {
        abstractSyntax: file.sopClassUid,
        transferSyntaxes: [file.transferSyntaxUid],
      });
    }
    const rq = buildAssociateRq({
      callingAeTitle: target.callingAeTitle,
      calledAeTitle: target.calledAeTitle,
      contexts: [...pairs.values()].slice(0, 128),
      maxPduLength: 65_536,
    });
    const socket = net.connect(target.port, target.host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => undefined); // reported through the ending
    const scu = new StoreScu(socket, rq, options.moveOriginator);
    scu.connection.requestAssociation(rq);
    await scu.associated;
    return scu;
  }

  /** Sends one file; resolves to the peer's status (no context for it: 0122, nothing sent). */
  async store(file: OutgoingFile): Promise<number> {
    const agreed = this.connection.negotiated;
    const context = [...(agreed?.contexts.values() ?? [])].find(
      (c) => c.abstractSyntax === file.sopClassUid && c.transferSyntax === file.transferSyntaxUid,
    );
    if (context === undefined) return Status.RefusedSopClassNotSupported;
    const messageId = this.nextMessageId++;
    const response = new Promise<number>((resolve) => this.responses.set(messageId, resolve));
    await this.connection.sendMessage(
      context.id,
      {
        kind: 'C-STORE-RQ',
        messageId,
        affectedSopClassUid: file.sopClassUid,
        affectedSopInstanceUid: file.sopInstanceUid,
        priority: Priority.Medium,
        moveOriginatorAeTitle: this.moveOriginator?.aeTitle,
        moveOriginatorMessageId: this.moveOriginator?.messageId,
      },
      datasetChunks(file.path, file.datasetOffset),
    );
    return response;
  }

  async release(): Promise<Ending> {
    this.connection.release();
    return this.ended;
  }
}

// --- A query/retrieve index over corpus instances -------------------------------------------

export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

/** Unique keys of each level, and the attributes known for matching and return. */
/** The string attributes of an instance. */
type TextField = {
  [K in keyof CorpusInstance]: CorpusInstance[K] extends string ? K : never;
}[keyof CorpusInstance];

const LEVEL_KEY: Record<QueryLevel, TextField> = {
  PATIENT: 'patientId',
  STUDY: 'studyInstanceUid',
  SERIES: 'seriesInstanceUid',
  IMAGE: 'sopInstanceUid',
};

const ATTRIBUTES: ReadonlyMap<Tag, TextField> = new Map<Tag, TextField>([
  [tags.PatientID, 'patientId'],
  [tags.PatientName, 'patientName'],
  [tags.StudyInstanceUID, 'studyInstanceUid'],
  [tags.StudyDate, 'studyDate'],
  [tags.SeriesInstanceUID, 'seriesInstanceUid'],
  [tags.Modality, 'modality'],
  [tags.SOPInstanceUID, 'sopInstanceUid'],
  [tags.SOPClassUID, 'sopClassUid'],
]);

/** Where C-MOVE may send: AE title -> address. */
export type Destinations = ReadonlyMap<string, { host: string; port: number }>;

/**
 * An in-memory index of instances answering C-FIND (PS3.4 C.2.2.2 matching on a few keys:
 * single value, wildcard, UID list, date range, universal), C-MOVE (sub-operations to a
 * destination through StoreScu) and C-GET (sub-operations on the same association).
 */
export class InstanceIndex {
  /** Every identifier the handlers saw, and whether a C-CANCEL stopped them. */
  readonly log: { kind: string; level: string; cancelled: boolean; sent: number }[] = [];

  constructor(
    readonly instances: readonly CorpusInstance[],
    private readonly options: {
      destinations?: Destinations;
      /** Pause between C-FIND matches (to let a C-CANCEL arrive in the middle). */
      findDelayMs?: number;
      aeTitle?: string;
    } = {},
  ) {}

  /** The instances an identifier selects (every level's keys below the requested level too). */
  select(identifier: Dataset): { level: QueryLevel; matches: CorpusInstance[] } {
    const level = (stringOf(identifier, tags.QueryRetrieveLevel) ?? '') as QueryLevel;
    if (!(level in LEVEL_KEY)) {
      throw new DimseStatusError(Status.IdentifierDoesNotMatchSopClass, `level '${level}'`);
    }
    const matches = this.instances.filter((instance) =>
      [...ATTRIBUTES].every(([tag, field]) => {
        const element = identifier.get(tag);
        if (element?.kind !== 'value') return true;
        return matchesKey(stringsOf(identifier, tag), instance[field], tag);
      }),
    );
    return { level, matches };
  }

  handlers(): ServiceHandlers {
    return { find: this.find, move: this.move, get: this.get };
  }

  readonly find: FindHandler = (request) => this.findMatches(request);
  readonly move: MoveHandler = (request) => this.moveMatches(request);
  readonly get: GetHandler = (request) => this.getMatches(request);

  private async *findMatches(
    request: Parameters<FindHandler>[0],
  ): AsyncGenerator<Dataset, void, undefined> {
    const { level, matches } = this.select(request.identifier);
    const entry = { kind: 'find', level, cancelled: false, sent: 0 };
    this.log.push(entry);
    const seen = new Set<string>();
    for (const instance of matches) {
      const key = instance[LEVEL_KEY[level]];
      if (seen.has(key)) continue;
      seen.add(key);
      if (this.options.findDelayMs !== undefined) await sleep(this.options.findDelayMs);
      if (request.signal.aborted) {
        entry.cancelled = true;
        return;
      }
      entry.sent += 1;
      yield responseFor(request.identifier, instance, level);
    }
  }

  private async *moveMatches(
    request: Parameters<MoveHandler>[0],
  ): AsyncGenerator<SubOperations, RetrieveResult> {
    const { level, matches } = this.select(request.identifier);
    const entry = { kind: 'move', level, cancelled: false, sent: 0 };
    this.log.push(entry);
    const destination = this.options.destinations?.get(request.command.moveDestination);
    if (destination === undefined) {
      throw new DimseStatusError(
        Status.MoveDestinationUnknown,
        `unknown destination ${request.command.moveDestination}`,
      );
    }
    const counts = { remaining: matches.length, completed: 0, failed: 0, warning: 0 };
    if (matches.length === 0) return counts;
    const scu = await StoreScu.open(
      {
        ...destination,
        calledAeTitle: request.command.moveDestination,
        callingAeTitle: this.options.aeTitle ?? 'NIFFLER',
      },
      matches,
      {
        moveOriginator: {
          aeTitle: request.association.callingAeTitle,
          messageId: request.command.messageId,
        },
      },
    );
    try {
      for (const instance of matches) {
        if (request.signal.aborted) {
          entry.cancelled = true;
          break;
        }
        tally(counts, await scu.store(instance));
        entry.sent += 1;
        yield { ...counts };
      }
    } finally {
      await scu.release();
    }
    return counts;
  }

  private async *getMatches(
    request: Parameters<GetHandler>[0],
  ): AsyncGenerator<SubOperations, RetrieveResult> {
    const { level, matches } = this.select(request.identifier);
    const entry = { kind: 'get', level, cancelled: false, sent: 0 };
    this.log.push(entry);
    const counts = { remaining: matches.length, completed: 0, failed: 0, warning: 0 };
    for (const instance of matches) {
      if (request.signal.aborted) {
        entry.cancelled = true;
        break;
      }
      const status = await request.store({
        sopClassUid: instance.sopClassUid,
        sopInstanceUid: instance.sopInstanceUid,
        transferSyntaxUid: instance.transferSyntaxUid,
        dataset: () => datasetChunks(instance.path, instance.datasetOffset),
      });
      tally(counts, status);
      entry.sent += 1;
      yield { ...counts };
    }
    return counts;
  }
}

function tally(
  counts: { remaining: number; completed: number; failed: number; warning: number },
  status: number,
): void {
  counts.remaining -= 1;
  if (status === Status.Success) counts.completed += 1;
  else if (status >= 0xb000 && status <= 0xbfff) counts.warning += 1;
  else counts.failed += 1;
}

/** PS3.4 C.2.2.2: universal (empty), single value, wildcard (* ?), UID list, date range. */
function matchesKey(values: readonly string[], actual: string, tag: Tag): boolean {
  if (values.length === 0 || (values.length === 1 && values[0] === '')) return true;
  if (values.length > 1) return values.includes(actual); // UID list matching (C.2.2.2.2)
  const value = values[0]!;
  if (tag === tags.StudyDate && value.includes('-')) {
    const [from, to] = value.split('-');
    return (from === '' || actual >= from!) && (to === '' || actual <= to!);
  }
  if (/[*?]/.test(value)) {
    const pattern = value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    return new RegExp(`^${pattern.replace(/\?/g, '.')}$`).test(actual);
  }
  return value === actual;
}

/** A C-FIND response: the identifier's keys, filled with the match's values where known. */
function responseFor(identifier: Dataset, instance: CorpusInstance, level: QueryLevel): Dataset {
  const out = new Dataset(EXPLICIT_LITTLE);
  for (const element of identifier.sorted()) {
    if (element.kind !== 'value' || element.tag === tags.QueryRetrieveLevel) continue;
    const field = ATTRIBUTES.get(element.tag);
    if (field === undefined) {
      setBytes(out, element.tag, element.vr, new Uint8Array(0));
    } else {
      setStrings(out, element.tag, [instance[field]], element.vr);
    }
  }
  setStrings(out, tags.QueryRetrieveLevel, [level]);
  return out;
}

/** Elements of a dataset as `tag -> first string value` (for assertions). */
export function stringMap(dataset: Dataset): Map<Tag, string> {
  const out = new Map<Tag, string>();
  for (const element of dataset.sorted()) {
    if (element.kind !== 'value') continue;
    try {
      out.set(element.tag, readStrings(dataset, element).join('\\'));
    } catch {
      // Not a string value: not needed by the assertions.
    }
  }
  return out;
}

// --- Orthanc ----------------------------------------------------------------------------------

export interface RunningOrthanc {
  readonly httpPort: number;
  readonly dicomPort: number;
  readonly aeTitle: string;
  readonly url: string;
  readonly tool: RunningTool;
  /** POST /instances with the file's bytes (stored verbatim); the Orthanc instance ID. */
  upload(file: string): Promise<string>;
  rest<T>(method: string, route: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Orthanc 1.10.1 with the test configuration (shared/reference/orthanc-test-config.json) in a
 * temporary directory on free ports, started with TCP_NODELAY=1. It binds 0.0.0.0 (it has no
 * bind-address option); RemoteAccessAllowed:false keeps its HTTP API local.
 */
export async function startOrthanc(options: {
  modalities: Record<string, { aet: string; host: string; port: number }>;
  /** Extra configuration, merged over the reference. */
  config?: Record<string, unknown>;
}): Promise<RunningOrthanc> {
  const directory = await makeTempDir('orthanc');
  const reference = JSON.parse(
    readFileSync('/work/shared/reference/orthanc-test-config.json', 'utf8'),
  ) as Record<string, unknown>;
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const config: Record<string, unknown> = {
    ...reference,
    StorageDirectory: path.join(directory, 'db'),
    IndexDirectory: path.join(directory, 'db'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomModalities: Object.fromEntries(
      Object.entries(options.modalities).map(([name, m]) => [
        name,
        { AET: m.aet, Host: m.host, Port: m.port },
      ]),
    ),
    ...options.config,
  };
  const configPath = path.join(directory, 'orthanc.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const tool = startTool('Orthanc', [configPath], { timeoutMs: 30 * 60_000, cwd: directory });
  const url = `http://${LOCALHOST}:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/system`);
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (tool.child.exitCode !== null || Date.now() > deadline) {
      await tool.stop();
      await removeDir(directory);
      throw new Error(`Orthanc did not start:\n${tool.output()}`);
    }
    await sleep(100);
  }
  await waitForPort(dicomPort, 10_000, tool);
  const rest = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${route}`, {
      method,
      body:
        body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Orthanc ${method} ${route}: ${response.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return {
    httpPort,
    dicomPort,
    aeTitle: String(config.DicomAet),
    url,
    tool,
    upload: async (file) =>
      (await rest<{ ID: string }>('POST', '/instances', readFileSync(file))).ID,
    rest,
    stop: async () => {
      await tool.stop();
      await removeDir(directory);
    },
  };
}

// --- TLS --------------------------------------------------------------------------------------

export type TestCertificates = TlsMaterial;
export const makeCertificates = makeTlsMaterial;

/** TLS server options for DicomServer from the test certificates (the product's own reader). */
export function tlsOptions(certs: TestCertificates, mutual: boolean): tls.TlsOptions {
  return serverTlsFromFiles({
    keyFile: certs.serverKey,
    certFile: certs.serverCert,
    caFile: mutual ? certs.caCert : null,
  });
}

// --- Our SCP in a child process -------------------------------------------------------------

export interface ScpProcessConfig {
  readonly aeTitle: string;
  readonly directory: string;
  readonly idleTimeoutMs?: number;
  readonly artimTimeoutMs?: number;
  readonly maxPduLength?: number;
  readonly maxAssociations?: number;
  readonly fsync?: boolean;
  /** Also answer C-FIND, C-MOVE and C-GET from a small index of corpus files. */
  readonly queryRetrieve?: boolean;
}

export interface ScpProcess {
  readonly pid: number;
  readonly port: number;
  readonly tool: RunningTool;
  /** Association endings reported so far (JSON lines from the child). */
  endings(): Ending[];
  stop(): Promise<ToolResult>;
}

const HARNESS_URL = import.meta.url;

/**
 * A DicomServer with a directory store in its own Node process, so its memory can be measured
 * (/proc/PID/status) and a crash shows as an exit. It prints `{"port":N}`, then one JSON line per
 * ended association.
 */
export async function startScpProcess(config: ScpProcessConfig): Promise<ScpProcess> {
  const tool = startTool(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import(${JSON.stringify(HARNESS_URL)}).then((m) => m.runScpProcess(process.argv[1]))`,
      JSON.stringify(config),
    ],
    { timeoutMs: 10 * 60_000, cwd: REPO_ROOT },
  );
  const deadline = Date.now() + 20_000;
  let port: number | undefined;
  while (port === undefined) {
    const match = /^\{"port":(\d+)\}$/m.exec(tool.output());
    if (match !== null) port = Number(match[1]);
    else if (tool.child.exitCode !== null || Date.now() > deadline) {
      await tool.stop();
      throw new Error(`the SCP process did not start:\n${tool.output()}`);
    } else await sleep(20);
  }
  return {
    pid: tool.child.pid!,
    port,
    tool,
    endings: () =>
      tool
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{"ending"'))
        .map((line) => (JSON.parse(line) as { ending: Ending }).ending),
    stop: () => tool.stop(),
  };
}

/** The child's side of startScpProcess. */
export async function runScpProcess(json: string): Promise<void> {
  const config = JSON.parse(json) as ScpProcessConfig;
  const server = new DicomServer({
    aeTitle: config.aeTitle,
    host: LOCALHOST,
    port: 0,
    idleTimeoutMs: config.idleTimeoutMs,
    artimTimeoutMs: config.artimTimeoutMs,
    maxPduLength: config.maxPduLength,
    maxAssociations: config.maxAssociations,
    handlers: {
      store: directoryStore({ directory: config.directory, fsync: config.fsync }),
      ...(config.queryRetrieve === true &&
        new InstanceIndex(pickInstances([EXPLICIT_VR_LITTLE_ENDIAN], 4)).handlers()),
    },
    onEvent: (event) => {
      if (event.kind === 'association-ended') {
        const { ending } = event;
        // A-ASSOCIATE-RJ and A-ABORT values are plain data; print them as they are.
        process.stdout.write(`${JSON.stringify({ ending })}\n`);
      }
    },
  });
  const { port } = await server.listen();
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', resolve));
  await server.close(1_000);
}

// --- A scripted fake peer over a raw socket --------------------------------------------------

/**
 * A requestor that sends exactly the bytes a test scripts (PDUs built with encodePdu, or raw
 * bytes) and records what comes back, decoded as PDUs: for misbehaving-peer tests.
 */
export class FakePeer {
  readonly received: Pdu[] = [];
  /** performance.now() when each received PDU was complete. */
  readonly receivedAt: number[] = [];
  /** Set when the server sent bytes that are not a well-formed PDU. */
  decodeError: Error | undefined;
  closedAt: number | undefined;
  readonly closed: Promise<void>;
  private readonly decoder = new PduDecoder({
    maxPduLength: 16 * 1024 * 1024,
    maxAssociationPduLength: 16 * 1024 * 1024,
  });
  private wake: (() => void) | undefined;
  private read = 0;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
        for (let pdu = this.decoder.next(); pdu !== undefined; pdu = this.decoder.next()) {
          this.received.push(pdu);
          this.receivedAt.push(performance.now());
        }
      } catch (error) {
        this.decodeError ??= error as Error;
      }
      this.wake?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closedAt = performance.now();
        this.wake?.();
        resolve();
      }),
    );
  }

  static async connect(port: number): Promise<FakePeer> {
    const socket = net.connect(port, LOCALHOST);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new FakePeer(socket);
  }

  get isClosed(): boolean {
    return this.closedAt !== undefined;
  }

  send(pdu: Pdu): void {
    this.write(encodePduBytes(pdu));
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The next PDU from the server, or undefined when the connection closed (or `timeoutMs`). */
  async next(timeoutMs = 3_000): Promise<Pdu | undefined> {
    const deadline = performance.now() + timeoutMs;
    while (this.read >= this.received.length) {
      if (this.isClosed || performance.now() > deadline) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - performance.now()));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.received[this.read++];
  }

  /** Sends the request and returns the server's answer (AC, RJ, or whatever it sent). */
  async associate(rq: AAssociateRq): Promise<Pdu | undefined> {
    this.send(rq);
    return this.next();
  }

  /** Resolves once the server has closed the connection; throws after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the server kept the connection open for ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** P-DATA-TF with one PDV carrying a whole command set. */
export function commandPData(contextId: number, command: Command, hasDataset: boolean): PDataTf {
  return {
    type: 'P-DATA-TF',
    pdvs: [
      {
        presentationContextId: contextId,
        command: true,
        last: true,
        data: encodeCommand(command, hasDataset),
      },
    ],
  };
}

/** P-DATA-TF with one PDV of data set bytes. */
export function datasetPData(contextId: number, data: Uint8Array, last: boolean): PDataTf {
  return {
    type: 'P-DATA-TF',
    pdvs: [{ presentationContextId: contextId, command: false, last, data }],
  };
}
