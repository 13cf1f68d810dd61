/**
 * The receiver's Prometheus metrics, in their own registry (nothing global, so tests and two
 * receivers in one process do not share counters). prom-client does the text exposition format
 * and the histogram buckets; the gauges that reflect the database (queue depth, series states)
 * and the disk are computed when scraped, through `collect`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ReceiverMetrics {
  readonly registry: Registry;
  readonly instancesReceived: Counter<'calling_ae'>;
  readonly bytesReceived: Counter<'calling_ae'>;
  readonly storeFailures: Counter<'status'>;
  readonly storeDuration: Histogram;
  readonly commitBatchSize: Histogram;
  readonly associationsActive: Gauge;
  readonly associations: Counter<'outcome'>;
  readonly seriesCompleted: Counter<'amended'>;
  readonly seriesPurged: Counter;
  readonly filesPurged: Counter;
  readonly jobsFinished: Counter<'queue' | 'outcome'>;
  readonly queryRequests: Counter<'operation' | 'status'>;
}

export interface ScrapeSources {
  /** Jobs per queue and state. */
  readonly jobs: () => Promise<readonly { queue: string; state: string; count: number }[]>;
  /** Series per completion state. */
  readonly series: () => Promise<Readonly<Record<string, number>>>;
  /** The storage root's file system. */
  readonly disk: () => Promise<{ usedRatio: number; freeBytes: number; totalBytes: number }>;
}

/** Store latency buckets, seconds: fsync-bound stores take a few ms, slow disks hundreds. */
const STORE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(sources?: ScrapeSources): ReceiverMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'niffler_' });
  const r = [registry];
  const metrics: ReceiverMetrics = {
    registry,
    instancesReceived: new Counter({
      name: 'niffler_instances_received_total',
      help: 'Instances stored and indexed (C-STORE answered with success), per calling AE title.',
      labelNames: ['calling_ae'],
      registers: r,
    }),
    bytesReceived: new Counter({
      name: 'niffler_bytes_received_total',
      help: 'Bytes of the stored files, per calling AE title.',
      labelNames: ['calling_ae'],
      registers: r,
    }),
    storeFailures: new Counter({
      name: 'niffler_store_failures_total',
      help: 'C-STORE requests answered with a failure, per status (hex).',
      labelNames: ['status'],
      registers: r,
    }),
    storeDuration: new Histogram({
      name: 'niffler_store_duration_seconds',
      help: 'Time from the first byte of a data set to its C-STORE response (durable and indexed).',
      buckets: STORE_BUCKETS,
      registers: r,
    }),
    commitBatchSize: new Histogram({
      name: 'niffler_index_commit_batch_size',
      help: 'Instances indexed per database transaction (group commit).',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: r,
    }),
    associationsActive: new Gauge({
      name: 'niffler_associations_active',
      help: 'DICOM associations open now.',
      registers: r,
    }),
    associations: new Counter({
      name: 'niffler_associations_total',
      help: 'DICOM associations, per outcome (accepted, rejected).',
      labelNames: ['outcome'],
      registers: r,
    }),
    seriesCompleted: new Counter({
      name: 'niffler_series_completed_total',
      help: 'Series completions this process fired (amended="true" for versions after the first).',
      labelNames: ['amended'],
      registers: r,
    }),
    seriesPurged: new Counter({
      name: 'niffler_series_purged_total',
      help: 'Series whose files retention deleted.',
      registers: r,
    }),
    filesPurged: new Counter({
      name: 'niffler_files_purged_total',
      help: 'Files retention deleted.',
      registers: r,
    }),
    jobsFinished: new Counter({
      name: 'niffler_jobs_finished_total',
      help: 'Job attempts this process finished, per queue and outcome (done, failed, dead).',
      labelNames: ['queue', 'outcome'],
      registers: r,
    }),
    queryRequests: new Counter({
      name: 'niffler_query_requests_total',
      help: 'C-FIND, C-MOVE and C-GET requests served, per operation and final status (hex).',
      labelNames: ['operation', 'status'],
      registers: r,
    }),
  };
  if (sources !== undefined) {
    new Gauge({
      name: 'niffler_queue_jobs',
      help: 'Jobs in the durable queue, per queue and state (queue depth).',
      labelNames: ['queue', 'state'],
      registers: r,
      async collect() {
        this.reset();
        for (const row of await sources.jobs()) {
          this.set({ queue: row.queue, state: row.state }, row.count);
        }
      },
    });
    new Gauge({
      name: 'niffler_series',
      help: 'Series per completion state (expected, open, complete).',
      labelNames: ['state'],
      registers: r,
      async collect() {
        for (const [state, count] of Object.entries(await sources.series())) {
          this.set({ state }, count);
        }
      },
    });
    const disk = {
      used: new Gauge({
        name: 'niffler_disk_used_ratio',
        help: "Used fraction of the storage root's file system (0-1).",
        registers: r,
        async collect() {
          const d = await sources.disk();
          this.set(d.usedRatio);
          disk.free.set(d.freeBytes);
          disk.total.set(d.totalBytes);
        },
      }),
      free: new Gauge({
        name: 'niffler_disk_free_bytes',
        help: "Bytes available on the storage root's file system.",
        registers: r,
      }),
      total: new Gauge({
        name: 'niffler_disk_size_bytes',
        help: "Size of the storage root's file system.",
        registers: r,
      }),
    };
  }
  return metrics;
}
