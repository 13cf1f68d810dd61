// Runs test/dicom/oracle/pydicom_dump.py (pydicom 2.3.1 from Debian) over many files at once.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The Python that has pydicom: Debian's python3-pydicom installs for /usr/bin/python3 only. */
export const ORACLE_PYTHON = '/usr/bin/python3';

const SCRIPT = fileURLToPath(new URL('./pydicom_dump.py', import.meta.url));

/** `{length, sha256}` of a binary value (OB OW ... UN, Pixel Data, encapsulated Pixel Data). */
export interface Digest {
  readonly length: number;
  readonly sha256: string;
}

/** One value of a multi-valued element; see pydicom_dump.py for the normalization. */
export type Scalar = string | number | null | Digest;

/** A normalized element value: a list of values, or the digest of the bytes. */
export type NormalValue = Scalar[] | Digest;

/** One element as pydicom_dump.py prints it (and as normalize.ts builds ours). */
export interface NormalElement {
  /** `GGGGEEEE`. */
  readonly tag: string;
  readonly vr: string | null;
  /**
   * Set by the oracle when the file does not give the VR of a private element (implicit VR, or
   * UN) and pydicom took it from its own dictionary of private tags.
   */
  readonly vrFrom?: 'private dictionary';
  readonly value?: NormalValue;
  readonly items?: NormalElement[][];
  /** Why the value could not be read (pydicom's exception, or our strict reader's DicomError). */
  readonly error?: string;
}

export interface OracleFile {
  readonly path: string;
  readonly pydicom: string;
  /** Set when dcmread itself failed. */
  readonly error?: string;
  /** Set when reading the file meta group failed. */
  readonly metaError?: string;
  readonly implicitVR?: boolean;
  readonly littleEndian?: boolean;
  readonly meta: NormalElement[];
  readonly dataset: NormalElement[];
}

/** Whether the oracle can run here. */
export function oracleAvailable(): boolean {
  try {
    execFileSync(ORACLE_PYTHON, ['-c', 'import pydicom'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Dumps every file in one Python process; the map is keyed by the paths given. */
export function runOracle(paths: readonly string[]): Map<string, OracleFile> {
  const stdout = execFileSync(ORACLE_PYTHON, [SCRIPT, ...paths], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const files = new Map<string, OracleFile>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const file = JSON.parse(line) as OracleFile;
    files.set(file.path, file);
  }
  for (const path of paths) {
    if (!files.has(path)) throw new Error(`the oracle printed nothing for ${path}`);
  }
  return files;
}
