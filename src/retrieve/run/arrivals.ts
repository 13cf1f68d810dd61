/**
 * Which instances arrived for the studies and series being fetched: the store's commit hook
 * records each object, and a unit's received count is the number of distinct SOP Instance UIDs
 * recorded for it. Only watched units are tracked, and a unit is forgotten once it is recorded,
 * so memory follows the work in flight, not the size of the cohort.
 */
export interface Arrival {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  /** File size in bytes. */
  readonly size: number;
}

interface Tally {
  readonly instances: Set<string>;
  bytes: number;
}

export class Arrivals {
  private readonly watched = new Map<string, Tally>();
  private readonly onArrival: ((arrival: Arrival) => void) | undefined;

  constructor(onArrival?: (arrival: Arrival) => void) {
    this.onArrival = onArrival;
  }

  /** Starts counting for a unit key (`study` or `study/series`); keeps what is already counted. */
  watch(key: string): void {
    if (!this.watched.has(key)) this.watched.set(key, { instances: new Set(), bytes: 0 });
  }

  forget(key: string): void {
    this.watched.delete(key);
  }

  record(arrival: Arrival): void {
    for (const key of [
      arrival.studyInstanceUid,
      `${arrival.studyInstanceUid}/${arrival.seriesInstanceUid}`,
    ]) {
      const tally = this.watched.get(key);
      if (tally === undefined || tally.instances.has(arrival.sopInstanceUid)) continue;
      tally.instances.add(arrival.sopInstanceUid);
      tally.bytes += arrival.size;
    }
    this.onArrival?.(arrival);
  }

  count(key: string): number {
    return this.watched.get(key)?.instances.size ?? 0;
  }

  bytes(key: string): number {
    return this.watched.get(key)?.bytes ?? 0;
  }
}
