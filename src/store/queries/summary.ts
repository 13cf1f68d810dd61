/** Counts for `niffler status` and /status: what the index holds. */
import type { Executor } from '../database.js';

export interface IndexSummary {
  readonly patients: number;
  readonly studies: number;
  readonly series: number;
  readonly instances: number;
  /** Instances whose files retention deleted (their rows stay). */
  readonly purgedInstances: number;
  /** Bytes of the files still on disk. */
  readonly bytes: number;
  /** When the newest instance arrived (ms since the epoch), or null. */
  readonly lastReceivedAt: number | null;
}

export async function indexSummary(ex: Executor): Promise<IndexSummary> {
  const count = async (table: 'patients' | 'studies' | 'series'): Promise<number> =>
    Number(
      (
        await ex
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst()
      )?.n ?? 0,
    );
  const instances = await ex
    .selectFrom('instances')
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.count<number>('purged_at').as('purged'),
      eb.fn
        .sum<number>(
          eb.case().when('purged_at', 'is', null).then(eb.ref('size_bytes')).else(0).end(),
        )
        .as('bytes'),
      eb.fn.max<number>('received_at').as('last'),
    ])
    .executeTakeFirst();
  return {
    patients: await count('patients'),
    studies: await count('studies'),
    series: await count('series'),
    instances: Number(instances?.n ?? 0),
    purgedInstances: Number(instances?.purged ?? 0),
    bytes: Number(instances?.bytes ?? 0),
    lastReceivedAt: instances?.last == null ? null : Number(instances.last),
  };
}
