// Real DICOM peers as test fixtures: DCMTK storescp and dcmqrscp, Orthanc, and a throwaway TLS
// CA made with the openssl CLI. Every program is spawned with an argument array (never a shell)
// and with TCP_NODELAY=1 (DCMTK keeps Nagle on without it: dependencies-and-peers.md §0.1);
// readiness is polled (a TCP connect, or Orthanc's HTTP API); ports come from the OS. Each
// fixture has `stop()`, which the tests call in `after` hooks; processes still running when the
// test process exits are killed then. Nothing happens at import time.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { skipWhenMissing } from './skip.js';

export const LOCALHOST = '127.0.0.1';

/** DCMTK and Orthanc (which embeds DCMTK) set TCP_NODELAY only with this variable. */
export const PEER_ENV: NodeJS.ProcessEnv = { ...process.env, TCP_NODELAY: '1' };

const has = (tool: string): boolean =>
  ['/usr/bin', '/usr/sbin', '/usr/local/bin'].some((dir) => existsSync(path.join(dir, tool)));

/** Which peers this machine has (Debian: apt-get install dcmtk orthanc openssl). */
export const AVAILABLE = {
  dcmtk: ['storescp', 'storescu', 'echoscu', 'dcmqrscp', 'dcmqridx'].every(has),
  orthanc: has('Orthanc'),
  openssl: has('openssl'),
} as const;

/** A `skip` value for describe/it: false when the tools are there, else the reason. */
export function skipUnless(...needs: (keyof typeof AVAILABLE)[]): false | string {
  const missing = needs.filter((need) => !AVAILABLE[need]);
  return skipWhenMissing(missing.length === 0 ? false : `not installed: ${missing.join(', ')}`);
}

// --- Processes --------------------------------------------------------------------------------

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PeerProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessResult>;
  /** stdout and stderr so far, for assertion messages. */
  output(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<ProcessResult>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills what a crashed or interrupted test run left behind (only our own children, by PID). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Starts a program with an argument array and collects its output. */
export function startProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): PeerProcess {
  installExitHook();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? PEER_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<ProcessResult>((resolve) => {
    child.on('error', (error) => (stderr += `${String(error)}\n`));
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    exited,
    output: () => stdout + stderr,
    stop: async (graceMs = 3_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  };
}

/** Runs a program to completion (killed after `timeoutMs`). */
export async function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  const started = startProcess(command, args, options);
  const timer = setTimeout(() => started.child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  try {
    return await started.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a program and throws with its output unless it exits 0. */
export async function runChecked(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  const result = await runProcess(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.code ?? result.signal}\n${result.stdout}${result.stderr}`,
    );
  }
  return result;
}

// --- Ports, directories, readiness --------------------------------------------------------------

/** A port the OS says is free now (listen on 0, close). For peers that cannot bind port 0. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOCALHOST, resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `niffler-${prefix}-`));
}

export function removeDir(directory: string): Promise<void> {
  return rm(directory, { recursive: true, force: true });
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until `port` accepts a connection, every `intervalMs` (default 50), or throws (with the
 * process output when given).
 */
export async function waitForPort(
  port: number,
  options: {
    timeoutMs?: number;
    intervalMs?: number;
    process?: Pick<PeerProcess, 'child' | 'output'>;
  } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, LOCALHOST, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    const exited = options.process !== undefined && options.process.child.exitCode !== null;
    if (exited || Date.now() > deadline) {
      const output = options.process === undefined ? '' : `\n${options.process.output()}`;
      throw new Error(
        `nothing listens on port ${port}${exited ? ' (process exited)' : ''}${output}`,
      );
    }
    await sleep(options.intervalMs ?? 50);
  }
}

// --- DCMTK storescp -----------------------------------------------------------------------------

export interface StorescpPeer {
  readonly aeTitle: string;
  readonly host: string;
  readonly port: number;
  /** Where it writes what it receives (one file per object). */
  readonly directory: string;
  readonly process: PeerProcess;
  stop(): Promise<void>;
}

/**
 * DCMTK storescp in one process (no --fork, so runs are deterministic), writing into a new
 * temporary directory (removed by stop()). By default bit-preserving (+B: the data set is written
 * as it arrived, so it witnesses what the sender put on the wire) and accepting every transfer
 * syntax it knows (+xa). `args` replaces those two defaults (e.g. TLS options).
 */
export async function startStorescp(
  options: { aeTitle?: string; args?: readonly string[] } = {},
): Promise<StorescpPeer> {
  const aeTitle = options.aeTitle ?? 'STORESCP';
  const directory = await tempDir('storescp');
  const port = await freePort();
  const peer = startProcess('storescp', [
    '-aet',
    aeTitle,
    '-od',
    directory,
    ...(options.args ?? ['+B', '+xa']),
    String(port),
  ]);
  try {
    await waitForPort(port, { process: peer });
  } catch (error) {
    await peer.stop();
    await removeDir(directory);
    throw error;
  }
  return {
    aeTitle,
    host: LOCALHOST,
    port,
    directory,
    process: peer,
    stop: async () => {
      await peer.stop();
      await removeDir(directory);
    },
  };
}

// --- DCMTK dcmqrscp -----------------------------------------------------------------------------

/** An application entity a peer may send to (C-MOVE destination). */
export interface RemoteAe {
  readonly aeTitle: string;
  readonly host: string;
  readonly port: number;
}

export interface DcmqrscpPeer {
  readonly aeTitle: string;
  readonly host: string;
  readonly port: number;
  /** The storage area of its AE title (files and index.dat). */
  readonly storage: string;
  readonly process: PeerProcess;
  stop(): Promise<void>;
}

/**
 * DCMTK dcmqrscp with a configuration written to a temporary directory: one AE
 * title with a read/write storage area open to any peer, and `moveDestinations` in its host
 * table. `files` are copied into the storage area and registered with dcmqridx before it starts,
 * so the archive holds them byte for byte, whatever their transfer syntax.
 */
export async function startDcmqrscp(options: {
  aeTitle?: string;
  files?: readonly string[];
  moveDestinations?: readonly RemoteAe[];
  args?: readonly string[];
}): Promise<DcmqrscpPeer> {
  const aeTitle = options.aeTitle ?? 'DCMQRSCP';
  const directory = await tempDir('dcmqrscp');
  const storage = path.join(directory, aeTitle);
  await mkdir(storage);
  const copies: string[] = [];
  for (const [i, file] of (options.files ?? []).entries()) {
    const copy = path.join(storage, `in${String(i).padStart(4, '0')}.dcm`);
    await copyFile(file, copy);
    copies.push(copy);
  }
  if (copies.length > 0) await runChecked('dcmqridx', [storage, ...copies]);
  const port = await freePort();
  const hosts = (options.moveDestinations ?? []).map(
    (ae, i) => `dest${i} = (${ae.aeTitle}, ${ae.host}, ${ae.port})`,
  );
  const config = [
    `NetworkTCPPort  = ${port}`,
    'MaxPDUSize      = 16384',
    'MaxAssociations = 16',
    'HostTable BEGIN',
    ...hosts,
    'HostTable END',
    'VendorTable BEGIN',
    'VendorTable END',
    'AETable BEGIN',
    `${aeTitle} ${storage} RW (100, 1024mb) ANY`,
    'AETable END',
    '',
  ].join('\n');
  const configPath = path.join(directory, 'dcmqrscp.cfg');
  await writeFile(configPath, config);
  // Its default mode forks a process per association: --single-process ends after the first.
  const peer = startProcess('dcmqrscp', ['-c', configPath, ...(options.args ?? []), String(port)]);
  try {
    await waitForPort(port, { process: peer });
  } catch (error) {
    await peer.stop();
    await removeDir(directory);
    throw error;
  }
  return {
    aeTitle,
    host: LOCALHOST,
    port,
    storage,
    process: peer,
    stop: async () => {
      await peer.stop();
      await removeDir(directory);
    },
  };
}

// --- Orthanc ------------------------------------------------------------------------------------

/**
 * shared/reference/orthanc-test-config.json, as the fixture starts from it (ports, storage and
 * modalities are filled in per instance).
 */
const ORTHANC_BASE_CONFIG: Readonly<Record<string, unknown>> = {
  Name: 'NifflerTestOrthanc',
  StorageCompression: false,
  Plugins: [],
  HttpServerEnabled: true,
  RemoteAccessAllowed: false,
  AuthenticationEnabled: false,
  SslEnabled: false,
  DicomServerEnabled: true,
  DicomAet: 'ORTHANC',
  DicomCheckCalledAet: false,
  DicomAlwaysAllowEcho: true,
  DicomAlwaysAllowStore: true,
  DicomAlwaysAllowFind: false,
  DicomAlwaysAllowGet: false,
  DicomAlwaysAllowMove: false,
  UnknownSopClassAccepted: false,
  DicomModalitiesInDatabase: false,
  DicomScpTimeout: 30,
  DicomScuTimeout: 10,
  DicomThreadsCount: 4,
  SaveJobs: false,
  ConcurrentJobs: 2,
  SynchronousCMove: true,
  OverwriteInstances: true,
  StorageAccessOnFind: 'Always',
  MaximumPduLength: 16384,
  LimitFindResults: 0,
  LimitFindInstances: 0,
  HttpDescribeErrors: true,
  KeepAlive: true,
  TcpNoDelay: true,
};

export interface OrthancPeer {
  readonly aeTitle: string;
  readonly host: string;
  /** Its DICOM port. Orthanc binds 0.0.0.0 (it has no bind-address option). */
  readonly port: number;
  readonly httpPort: number;
  readonly url: string;
  readonly process: PeerProcess;
  /** POST /instances: stores the file's bytes verbatim (any transfer syntax); its Orthanc ID. */
  upload(file: string): Promise<string>;
  /** PUT /modalities/{name}: a peer allowed to query and retrieve, and a C-MOVE destination. */
  addModality(name: string, ae: RemoteAe): Promise<void>;
  /** A call to the REST API; the parsed JSON answer. */
  rest<T>(method: string, route: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Orthanc on free DICOM and HTTP ports with its storage in a temporary directory. Start one per
 * test file: it takes a second or two. `modalities` are the AEs that may query and retrieve (by
 * calling AE title) and the C-MOVE destinations; more can be added while it runs.
 */
export async function startOrthanc(
  options: { aeTitle?: string; modalities?: Record<string, RemoteAe>; config?: object } = {},
): Promise<OrthancPeer> {
  const aeTitle = options.aeTitle ?? 'ORTHANC';
  const directory = await tempDir('orthanc');
  const port = await freePort();
  const httpPort = await freePort();
  const config = {
    ...ORTHANC_BASE_CONFIG,
    StorageDirectory: path.join(directory, 'db'),
    IndexDirectory: path.join(directory, 'db'),
    HttpPort: httpPort,
    DicomPort: port,
    DicomAet: aeTitle,
    DicomModalities: Object.fromEntries(
      Object.entries(options.modalities ?? {}).map(([name, ae]) => [name, modality(ae)]),
    ),
    ...options.config,
  };
  const configPath = path.join(directory, 'orthanc.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const peer = startProcess('Orthanc', [configPath], { cwd: directory });
  const url = `http://${LOCALHOST}:${httpPort}`;
  const stop = async (): Promise<void> => {
    await peer.stop();
    await removeDir(directory);
  };
  try {
    await waitForHttp(`${url}/system`, peer);
    await waitForPort(port, { process: peer });
  } catch (error) {
    await stop();
    throw error;
  }
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
    aeTitle,
    host: LOCALHOST,
    port,
    httpPort,
    url,
    process: peer,
    upload: async (file) =>
      (await rest<{ ID: string }>('POST', '/instances', await readFile(file))).ID,
    addModality: async (name, ae) => {
      await rest('PUT', `/modalities/${encodeURIComponent(name)}`, modality(ae));
    },
    rest,
    stop,
  };
}

function modality(ae: RemoteAe): { AET: string; Host: string; Port: number } {
  return { AET: ae.aeTitle, Host: ae.host, Port: ae.port };
}

async function waitForHttp(url: string, peer: PeerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (peer.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${url} did not answer\n${peer.output()}`);
    }
    await sleep(100);
  }
}

// --- TLS material -------------------------------------------------------------------------------

export interface TlsMaterial {
  readonly directory: string;
  /** The CA that signed the server and client certificates (PEM). */
  readonly caCert: string;
  /** Server key and certificate for localhost and 127.0.0.1. */
  readonly serverKey: string;
  readonly serverCert: string;
  /** Client key and certificate (client authentication), for mutual TLS. */
  readonly clientKey: string;
  readonly clientCert: string;
  /** A client certificate from another CA: a mutual-TLS peer must refuse it. */
  readonly strangerKey: string;
  readonly strangerCert: string;
}

/** A throwaway CA and certificates made with the openssl CLI in `directory`, valid 2 days. */
export async function makeTlsMaterial(directory: string): Promise<TlsMaterial> {
  const file = (name: string): string => path.join(directory, name);
  const openssl = (args: string[]): Promise<ProcessResult> =>
    runChecked('openssl', args, { cwd: directory });
  const makeCa = (name: string): Promise<ProcessResult> =>
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=Niffler test ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.crt`),
    ]);
  const issue = async (name: string, ca: string, extensions: string): Promise<void> => {
    await writeFile(file(`${name}.ext`), extensions);
    await openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
    ]);
    await openssl([
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${ca}.crt`),
      '-CAkey',
      file(`${ca}.key`),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.crt`),
    ]);
  };
  await Promise.all([makeCa('ca'), makeCa('other-ca')]);
  // One CA's certificates one after the other: -CAcreateserial rewrites its serial file.
  await Promise.all([
    (async () => {
      await issue(
        'server',
        'ca',
        'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
      );
      await issue('client', 'ca', 'extendedKeyUsage=clientAuth\n');
    })(),
    issue('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n'),
  ]);
  return {
    directory,
    caCert: file('ca.crt'),
    serverKey: file('server.key'),
    serverCert: file('server.crt'),
    clientKey: file('client.key'),
    clientCert: file('client.crt'),
    strangerKey: file('stranger.key'),
    strangerCert: file('stranger.crt'),
  };
}
