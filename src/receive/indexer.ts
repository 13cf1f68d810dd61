/**
 * The commit hook of the receive path (instance-store.ts calls it once the file is durable under
 * its final name): one index transaction per batch of objects (group-commit.ts) holding, for
 * each, the patient/study/series/instance rows under the duplicate policy, the series
 * completion bookkeeping and the featureset rows (series mode: from the series' first indexed
 * instance; instance mode: from every instance). The next batch may run while a batch's commit
 * is being flushed to disk (Db.transactionThenDurable); each object's hook returns only once its
 * commit is on disk. After that:
 * - keep-first duplicate: the new copy is discarded (instance-store removes the file);
 * - replace: the file the row pointed to before is removed.
 */
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { transferSyntaxOf } from '../dicom/transfer-syntax.js';
import { isPrivateTag } from '../dicom/tag.js';
import { extractFeatures, privateKey, type Featureset } from '../metadata/index.js';
import type { Db } from '../store/database.js';
import {
  ensureFeatureset,
  indexInstance,
  insertFeaturesetRow,
  type DuplicatePolicy,
  type IndexResult,
  type InstanceRecord,
} from '../store/queries/index.js';
import type { Logger, Phi } from '../util/log.js';
import { GroupCommitter } from './group-commit.js';
import { instanceRecord } from './instance-record.js';
import {
  CommittedNotDurableError,
  type CommitHook,
  type CommitResult,
  type StoredInstance,
} from './instance-store.js';
import type { ReceiverMetrics } from './metrics.js';

export interface IndexerOptions {
  readonly db: Db;
  readonly root: string;
  readonly duplicates: DuplicatePolicy;
  readonly featuresets: readonly Featureset[];
  readonly featuresetMode: 'series' | 'instance';
  /** Objects per transaction at most. Default 32. */
  readonly maxBatch?: number | undefined;
  readonly clock?: (() => number) | undefined;
  readonly metrics?: ReceiverMetrics | undefined;
  readonly logger?: Logger | undefined;
  readonly phi?: Phi | undefined;
  /** Told of each indexed object after its commit (tests, pipelines' fast path). */
  readonly onIndexed?: ((stored: StoredInstance, result: IndexResult) => void) | undefined;
}

interface Item {
  readonly record: InstanceRecord;
  readonly stored: StoredInstance;
}

/** An item's outcome once its batch committed, and when that commit is on disk. */
interface Committed {
  readonly result: IndexResult;
  readonly durable: Promise<void>;
}

export class Indexer {
  private readonly committer: GroupCommitter<Item, Committed>;
  private readonly clock: () => number;

  constructor(private readonly options: IndexerOptions) {
    this.clock = options.clock ?? Date.now;
    this.committer = new GroupCommitter(
      (items) => this.commitBatch(items),
      options.maxBatch ?? 32,
      (size) => options.metrics?.commitBatchSize.observe(size),
    );
  }

  /** Registers the featuresets (rows in `featuresets`, one view each). Call once at start. */
  async prepare(): Promise<void> {
    const now = this.clock();
    for (const featureset of this.options.featuresets) {
      // View columns: the keys known before any file is read. A private attribute given by its
      // tag is keyed by whatever creator a file names, so it is only in values_json.
      const keys = featureset.entries.flatMap((e) =>
        e.kind === 'tag'
          ? isPrivateTag(e.tag)
            ? []
            : [e.key]
          : e.kind === 'private'
            ? [privateKey(e.creator, e.group, e.offset)]
            : [],
      );
      await this.options.db.transaction((tx) => ensureFeatureset(tx, featureset.name, keys, now));
    }
  }

  /** The hook for instanceStore. */
  readonly commit: CommitHook = async (stored): Promise<CommitResult> => {
    const record = instanceRecord(stored, transferSyntaxOf(stored.transferSyntaxUid).deflated);
    const { result, durable } = await this.committer.submit({ record, stored });
    // The next batch runs while this one's commit is flushed; nothing is answered or removed
    // before it is on disk.
    await durable.catch((error: unknown) => {
      throw new CommittedNotDurableError(error);
    });
    const { metrics, logger, phi } = this.options;
    metrics?.instancesReceived.inc({ calling_ae: stored.callingAeTitle });
    metrics?.bytesReceived.inc({ calling_ae: stored.callingAeTitle }, stored.size);
    logger?.debug(
      {
        event: 'indexed',
        outcome: result.outcome,
        callingAe: stored.callingAeTitle,
        sopInstanceUid: phi?.mask(stored.sopInstanceUid),
        seriesInstanceUid: phi?.mask(stored.seriesInstanceUid),
        seriesVersion: result.seriesVersion,
        bytes: stored.size,
      },
      'instance indexed',
    );
    this.options.onIndexed?.(stored, result);
    if (result.outcome === 'duplicate-kept-first') {
      // The index keeps the first copy; this one goes, unless it is the very file indexed
      // (the first copy's file had vanished and this one took its name).
      return { discard: result.previousPath !== stored.relativePath };
    }
    if (result.outcome === 'replaced' && result.previousPath !== undefined) {
      if (result.previousPath !== stored.relativePath) {
        const previous = path.join(this.options.root, result.previousPath);
        await unlink(previous).catch((error: unknown) => {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          logger?.warn(
            { event: 'cleanup-failed', error: String(error) },
            'could not remove a replaced file',
          );
        });
      }
    }
    return result.outcome === 'restored' ? { restored: true } : {};
  };

  private async commitBatch(items: readonly Item[]): Promise<Committed[]> {
    const { db, duplicates, featuresets, featuresetMode } = this.options;
    const now = this.clock();
    // Rows are locked in one order across batches and receivers (series, then SOP instance),
    // which keeps PostgreSQL deadlocks between concurrent batches rare; GroupCommitter retries
    // the items of a failed batch one by one.
    const order = items
      .map((item, i) => ({ item, i }))
      .sort(
        (a, b) =>
          cmp(a.item.record.seriesInstanceUid, b.item.record.seriesInstanceUid) ||
          cmp(a.item.record.sopInstanceUid, b.item.record.sopInstanceUid),
      );
    const { result: results, durable } = await db.transactionThenDurable(async (tx) => {
      const results: IndexResult[] = new Array<IndexResult>(items.length);
      for (const { item, i } of order) {
        const result = await indexInstance(tx, item.record, duplicates, { now });
        const extract =
          featuresetMode === 'instance'
            ? result.outcome !== 'duplicate-kept-first'
            : result.firstOfSeries;
        if (extract) {
          for (const featureset of featuresets) {
            await insertFeaturesetRow(
              tx,
              {
                featureset: featureset.name,
                seriesInstanceUid: item.record.seriesInstanceUid,
                sopInstanceUid: item.record.sopInstanceUid,
                values: extractFeatures(item.stored.header, featureset),
              },
              now,
            );
          }
        }
        results[i] = result;
      }
      return results;
    });
    return results.map((result) => ({ result, durable }));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
