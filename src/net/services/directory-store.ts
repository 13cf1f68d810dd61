import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ReceivedFile } from '../../io/received-file.js';
import { Status } from '../dimse/status.js';
import type { StoreHandler, StoreOutcome, StoreRequest, StoreSink } from './handlers.js';

export interface DirectoryStoreOptions {
  readonly directory: string;
  /** fsync each file and the directory before answering (default true). */
  readonly fsync?: boolean | undefined;
  /** Told about each object stored (for logs and counters; no PHI in it). */
  readonly onStored?: ((stored: StoredFile) => void) | undefined;
}

export interface StoredFile {
  readonly path: string;
  readonly size: number;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly callingAeTitle: string;
}

/**
 * A store handler that writes each object to `directory/<SOP Instance UID>.dcm`: the data set
 * verbatim behind a new file meta group, made durable (fsync, rename, directory fsync) before the
 * success response. A UID that is not a plain UID is replaced by its hash, so no value can name a
 * path outside the directory.
 */
export function directoryStore(options: DirectoryStoreOptions): StoreHandler {
  // The directory is made once, at the first object, not once per object.
  let made: Promise<unknown> | undefined;
  return async (request: StoreRequest): Promise<StoreSink> => {
    made ??= mkdir(options.directory, { recursive: true }).catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    await made;
    const { command, association, transferSyntaxUid } = request;
    // The sender is the peer: the calling AE of a C-STORE we accepted, the called AE of the
    // association we requested when the objects arrive as C-GET sub-operations.
    const sourceAeTitle =
      association.negotiated.side === 'requestor'
        ? association.calledAeTitle
        : association.callingAeTitle;
    // The temporary file is opened now: in the background when durable, while the data flow in.
    const writer = new ReceivedFile(
      options.directory,
      {
        sopClassUid: command.affectedSopClassUid,
        sopInstanceUid: command.affectedSopInstanceUid,
        transferSyntaxUid,
        sourceAeTitle,
      },
      // Stored, not read: the data set is written verbatim, as DCMTK's storescp +B does.
      { fsync: options.fsync ?? true, parseHeader: false },
    );
    const path = join(options.directory, `${safeFileName(command.affectedSopInstanceUid)}.dcm`);
    return {
      write: (chunk) => writer.write(chunk),
      abort: () => writer.abort(),
      end: async (): Promise<StoreOutcome> => {
        try {
          await writer.seal();
        } catch (error) {
          await writer.abort();
          throw error;
        }
        await writer.rename(path);
        options.onStored?.({
          path,
          size: writer.size,
          sopInstanceUid: command.affectedSopInstanceUid,
          transferSyntaxUid,
          callingAeTitle: sourceAeTitle,
        });
        return { status: Status.Success };
      },
    };
  };
}

/** A UID as a file name when it is one (PS3.5 9.1: digits and dots, 64 at most), else its hash. */
export function safeFileName(uid: string): string {
  if (/^[0-9]+(\.[0-9]+)*$/.test(uid) && uid.length <= 64) return uid;
  return `sha256-${createHash('sha256').update(uid).digest('hex').slice(0, 32)}`;
}
