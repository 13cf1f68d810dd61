/**
 * The receive path's C-STORE handler: every object is made durable under its final name before
 * the index transaction runs, and the sender hears Success only after that transaction commits
 * (DESIGN.md, "The real-time path"). For one object:
 *
 *   1. stream the data set, as received, behind a new file meta group into a temporary file in
 *      this process's temporary directory under the storage root (temp-area.ts,
 *      io/received-file.ts); memory is two 1 MiB write batches plus the header, whatever
 *      the object's size;
 *   2. parse the header up to Pixel Data as the bytes pass (the incremental DicomParser);
 *   3. compute the destination from the path template (every component sanitised);
 *   4. fdatasync the file, then give it its final name with a hard link that never replaces an
 *      existing file (a name already taken gets `~1`, `~2`...: a duplicate never overwrites an
 *      acknowledged copy before the index has decided), fsync the directory (and any directory
 *      just created, up to the root); objects linked into one directory at the same time share
 *      one directory fsync (io/directory-sync.ts);
 *   5. await the injected `commit` hook, where the index transaction runs;
 *   6. answer Success; the temporary name is removed after the answer (`settled()` waits for
 *      those removals: the receiver calls it before it removes its temporary directory).
 *
 * Anything failing before the commit completes removes the final name and the temporary file,
 * and the C-STORE gets a failure status (status-for-error.ts: A700 for a full disk). Because the
 * temporary name stays until after the commit, a crash at any step leaves it behind as a journal:
 * at the next start, recovery.ts finds each leftover, and the final name it may have been linked
 * to, and removes both unless the index holds that file.
 */
import { link, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Dataset } from '../dicom/dataset.js';
import { makeTag, type Tag } from '../dicom/tag.js';
import { readStrings } from '../dicom/values/strings.js';
import { DurableDirectories, linkUnique } from '../io/durable-link.js';
import { Status } from '../net/dimse/status.js';
import type {
  AssociationInfo,
  StoreHandler,
  StoreOutcome,
  StoreRequest,
} from '../net/services/handlers.js';
import { ReceiveError } from './errors.js';
import { parsePathTemplate, renderPath, type PathTemplate } from './path-template.js';
import { DirectorySync } from '../io/directory-sync.js';
import { ReceivedFile } from '../io/received-file.js';
import { createTempArea } from './temp-area.js';

const SOP_CLASS_UID = makeTag(0x0008, 0x0016);
const SOP_INSTANCE_UID = makeTag(0x0008, 0x0018);
const STUDY_INSTANCE_UID = makeTag(0x0020, 0x000d);
const SERIES_INSTANCE_UID = makeTag(0x0020, 0x000e);

/** One object made durable under its final name, handed to the commit hook. */
export interface StoredInstance {
  /** Absolute path of the file. */
  readonly path: string;
  /** The same, relative to the storage root, '/'-separated: what the index records. */
  readonly relativePath: string;
  /**
   * The relative path the template gives. It differs from relativePath (`name~1.dcm`) when
   * another file already held that name: a duplicate, or two objects the template cannot tell
   * apart.
   */
  readonly templatePath: string;
  /** Size of the Part 10 file in bytes (file meta group included). */
  readonly size: number;
  /** Offset of the data set in the file (after the file meta group we wrote). */
  readonly datasetOffset: number;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  /** Transfer syntax of the data set, as received (never transcoded). */
  readonly transferSyntaxUid: string;
  /**
   * The AE title of the peer that sent the object: the calling AE title of an association it
   * opened to us; the called AE title of ours when it arrives as a C-GET sub-operation.
   */
  readonly callingAeTitle: string;
  readonly association: AssociationInfo;
  /** Set for a C-STORE sub-operation of a C-MOVE (PS3.7 9.3.1.1): who asked for it. */
  readonly moveOriginator?: { readonly aeTitle: string; readonly messageId: number } | undefined;
  /** The data set up to (not including) Pixel Data, as parsed while it arrived. */
  readonly header: Dataset;
  /** When the last byte was durable (ms since the epoch, from the injected clock). */
  readonly receivedAt: number;
}

/** What the commit hook may ask for once its transaction has committed. */
export interface CommitResult {
  /**
   * Remove this new file (the index kept another copy: duplicate policy keep-first). The sender
   * still gets Success: the object is stored, once.
   */
  readonly discard?: boolean | undefined;
  /**
   * The index row was a purged instance's, restored by this copy. Its file took the lowest free
   * name, which may be the purged file's old name: a purge still deleting that series' files may
   * have removed it, so the store checks the file is there and links it again if not.
   */
  readonly restored?: boolean | undefined;
}

export type CommitHook = (stored: StoredInstance) => Promise<CommitResult | void>;

/**
 * Thrown by a commit hook whose transaction committed but could not be made durable (the WAL's
 * fdatasync failed): the sender gets a failure and may send again, but the row exists, so its
 * file stays.
 */
export class CommittedNotDurableError extends Error {
  constructor(cause: unknown) {
    super(
      `the index commit is not durable: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'CommittedNotDurableError';
  }
}

export interface InstanceStoreOptions {
  /** The storage root (created when missing). */
  readonly root: string;
  /** Where objects go under the root: a parsed template or its text (path-template.ts). */
  readonly pathTemplate: PathTemplate | string;
  /**
   * Runs the index transaction for a stored object. Resolving means committed; throwing means
   * nothing was recorded (the file is then removed and the sender gets a failure status).
   */
  readonly commit: CommitHook;
  /** fsync the file and the directories before the commit (default true). */
  readonly fsync?: boolean | undefined;
  /**
   * Decides, before any byte is written, whether to take the object: throw (a ReceiveError
   * DISK_FULL, a DimseStatusError) to refuse it with that status. The disk guard lives here.
   */
  readonly admit?: ((request: StoreRequest) => void | Promise<void>) | undefined;
  /** ms since the epoch; default Date.now. */
  readonly clock?: (() => number) | undefined;
  /**
   * This process's temporary directory (absolute, inside the root); default a new one under
   * `<root>/.niffler-tmp/`, made on the first object.
   */
  readonly tempDirectory?: string | undefined;
  /** Told when a file could not be removed after a failure or a discard (for logs; no PHI). */
  readonly onCleanupError?: ((path: string, error: unknown) => void) | undefined;
}

/**
 * A StoreHandler that makes each object durable under the path template, runs `commit`, and
 * only then answers Success (see the module comment for the steps and the failure rules).
 */
export function instanceStore(options: InstanceStoreOptions): StoreHandler & {
  /**
   * Once no C-STORE is running any more (shutdown): waits for the cleanup done after the
   * answers (temporary names) and closes the directory descriptors kept for fsync.
   */
  settled(): Promise<void>;
} {
  const root = resolve(options.root);
  const template =
    typeof options.pathTemplate === 'string'
      ? parsePathTemplate(options.pathTemplate)
      : options.pathTemplate;
  const fsync = options.fsync ?? true;
  const clock = options.clock ?? Date.now;
  const directories = new DurableDirectories(root, fsync);
  const directorySync = new DirectorySync();
  let tempArea: Promise<string> | undefined;
  const background = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    background.add(work);
    void work.finally(() => background.delete(work));
  };
  const tempDirectory = (): Promise<string> =>
    (tempArea ??=
      options.tempDirectory === undefined
        ? createTempArea(root)
        : Promise.resolve(options.tempDirectory));
  const cleanupFailed = (path: string) => (error: unknown) => {
    options.onCleanupError?.(path, error);
  };
  /**
   * After a restore (CommitResult.restored) the file must still be at `linked`: a purge that was
   * deleting the series' files when this copy took the old name may have removed it. The
   * temporary name still holds the data (it goes after the answer): link it again.
   */
  const relinkIfPurged = async (tempPath: string, linked: string, directory: string) => {
    try {
      await stat(linked);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // The purge may have removed the emptied folders too, even between ensure and link: twice.
    for (let attempt = 1; ; attempt++) {
      directories.forget(directory);
      directorySync.forget(directory);
      await directories.ensure(directory);
      try {
        await link(tempPath, linked);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 2) throw error;
      }
    }
    if (fsync) await directorySync.sync(directory);
  };
  const handler: StoreHandler = async (request: StoreRequest) => {
    await options.admit?.(request);
    const { command, association, transferSyntaxUid } = request;
    const callingAeTitle =
      association.negotiated.side === 'requestor'
        ? association.calledAeTitle
        : association.callingAeTitle;
    const writer = new ReceivedFile(
      await tempDirectory(),
      {
        sopClassUid: command.affectedSopClassUid,
        sopInstanceUid: command.affectedSopInstanceUid,
        transferSyntaxUid,
        sourceAeTitle: callingAeTitle,
      },
      { fsync },
    );

    const end = async (): Promise<StoreOutcome> => {
      let linked: string | undefined;
      let committed = false;
      try {
        const parsed = writer.header();
        if ('error' in parsed) {
          throw new ReceiveError(
            'UNREADABLE_DATASET',
            `data set does not parse: ${parsed.error.message}`,
            { cause: parsed.error },
          );
        }
        const header = parsed.result.dataset;
        const uids = identify(header, command);
        const templatePath = renderPath(template, header);
        const size = writer.size;
        await writer.seal();

        const directory = join(root, dirname(templatePath));
        await directories.ensure(directory);
        let name: string;
        try {
          name = await linkUnique(writer.tempPath, directory, basename(templatePath));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          // Retention removed the (empty) directory between ensure and link: make it again.
          directories.forget(directory);
          directorySync.forget(directory);
          await directories.ensure(directory);
          name = await linkUnique(writer.tempPath, directory, basename(templatePath));
        }
        linked = join(directory, name);
        if (fsync) await directorySync.sync(directory);
        const relativeDirectory = dirname(templatePath);
        const relativePath = relativeDirectory === '.' ? name : `${relativeDirectory}/${name}`;

        const result = await options.commit({
          path: linked,
          relativePath,
          templatePath,
          size,
          datasetOffset: writer.datasetOffset,
          ...uids,
          transferSyntaxUid,
          callingAeTitle,
          association,
          moveOriginator:
            command.moveOriginatorAeTitle === undefined
              ? undefined
              : {
                  aeTitle: command.moveOriginatorAeTitle,
                  messageId: command.moveOriginatorMessageId ?? 0,
                },
          header,
          receivedAt: clock(),
        });
        committed = true;
        if (result?.discard === true) await unlink(linked).catch(cleanupFailed(linked));
        if (result?.restored === true) await relinkIfPurged(writer.tempPath, linked, directory);
        // The temporary name goes after the answer: the commit is what made the object
        // durable, and recovery removes a temporary name left behind by a crash.
        track(writer.release().catch(cleanupFailed(writer.tempPath)));
        return { status: Status.Success };
      } catch (error) {
        if (error instanceof CommittedNotDurableError) committed = true;
        if (!committed && linked !== undefined) await unlink(linked).catch(cleanupFailed(linked));
        await writer.abort();
        throw error;
      }
    };

    return {
      write: (chunk) => writer.write(chunk),
      end,
      abort: () => writer.abort(),
    };
  };
  return Object.assign(handler, {
    settled: async (): Promise<void> => {
      while (background.size > 0) await Promise.all(background);
      directorySync.close();
    },
  });
}

/**
 * The UIDs the index and the path need, from the header. The request's SOP Class and Instance
 * UIDs are what the response names, so the data set must agree with them (PS3.4 B.2.3: a data
 * set that does not match is refused, A900); a data set without them takes the request's.
 */
function identify(
  header: Dataset,
  command: StoreRequest['command'],
): {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
} {
  const sopClassUid = uidOf(header, SOP_CLASS_UID) ?? command.affectedSopClassUid;
  const sopInstanceUid = uidOf(header, SOP_INSTANCE_UID) ?? command.affectedSopInstanceUid;
  if (sopClassUid !== command.affectedSopClassUid) {
    throw new ReceiveError(
      'UID_MISMATCH',
      `SOPClassUID ${sopClassUid} differs from the request's ${command.affectedSopClassUid}`,
    );
  }
  if (sopInstanceUid !== command.affectedSopInstanceUid) {
    throw new ReceiveError(
      'UID_MISMATCH',
      `SOPInstanceUID ${sopInstanceUid} differs from the request's ${command.affectedSopInstanceUid}`,
    );
  }
  const studyInstanceUid = uidOf(header, STUDY_INSTANCE_UID);
  if (studyInstanceUid === undefined) {
    throw new ReceiveError('MISSING_UID', 'no StudyInstanceUID (0020,000D) in the data set');
  }
  const seriesInstanceUid = uidOf(header, SERIES_INSTANCE_UID);
  if (seriesInstanceUid === undefined) {
    throw new ReceiveError('MISSING_UID', 'no SeriesInstanceUID (0020,000E) in the data set');
  }
  return { sopClassUid, sopInstanceUid, studyInstanceUid, seriesInstanceUid };
}

function uidOf(dataset: Dataset, tag: Tag): string | undefined {
  const element = dataset.get(tag);
  if (element?.kind !== 'value') return undefined;
  try {
    const value = readStrings(dataset, element)[0]?.trim();
    return value === undefined || value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}
