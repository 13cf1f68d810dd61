/**
 * The disk, as the receiver sees it: how full the storage root's file system is (statfs, as
 * `df` computes it), whether a new object may be taken (below the hard limit and above the free
 * space floor; otherwise the C-STORE is refused with A700, out of resources, before a byte is
 * written), and whether it is above the high watermark (retention starts purging).
 */
import { statfs } from 'node:fs/promises';
import { ReceiveError } from './errors.js';

export interface DiskUsage {
  readonly totalBytes: number;
  readonly freeBytes: number;
  /** Used / (used + available to us), like df's Use%: reserved blocks count as unavailable. */
  readonly usedRatio: number;
}

export interface DiskLimits {
  readonly highWatermarkPercent: number;
  readonly hardLimitPercent: number;
  readonly minFreeBytes: number;
}

/** Reads the file system holding `path`. */
export async function diskUsage(path: string): Promise<DiskUsage> {
  const s = await statfs(path);
  const size = Number(s.bsize);
  const used = (Number(s.blocks) - Number(s.bfree)) * size;
  const available = Number(s.bavail) * size;
  return {
    totalBytes: Number(s.blocks) * size,
    freeBytes: available,
    usedRatio: used + available === 0 ? 1 : used / (used + available),
  };
}

/** Why a store must be refused at this usage, or undefined when it may proceed. Pure. */
export function refusal(usage: DiskUsage, limits: DiskLimits): string | undefined {
  if (usage.usedRatio * 100 >= limits.hardLimitPercent) {
    return `disk ${(usage.usedRatio * 100).toFixed(1)}% full, at or above the hard limit (${limits.hardLimitPercent}%)`;
  }
  if (usage.freeBytes < limits.minFreeBytes) {
    return `${usage.freeBytes} bytes free, below the floor of ${limits.minFreeBytes}`;
  }
  return undefined;
}

export function aboveWatermark(usage: DiskUsage, limits: DiskLimits): boolean {
  return usage.usedRatio * 100 >= limits.highWatermarkPercent;
}

/**
 * Caches the usage for `maxAgeMs` (statfs per object would cost little, but thousands of
 * objects a second need not ask), and refuses stores through `admit`.
 */
export class DiskGuard {
  private cached: { at: number; usage: DiskUsage } | undefined;
  private pending: Promise<DiskUsage> | undefined;

  constructor(
    private readonly root: string,
    private readonly limits: DiskLimits,
    private readonly clock: () => number = Date.now,
    private readonly maxAgeMs = 250,
  ) {}

  async usage(): Promise<DiskUsage> {
    const now = this.clock();
    if (this.cached !== undefined && now - this.cached.at < this.maxAgeMs) return this.cached.usage;
    this.pending ??= diskUsage(this.root).finally(() => {
      this.pending = undefined;
    });
    const usage = await this.pending;
    this.cached = { at: now, usage };
    return usage;
  }

  /** Throws ReceiveError DISK_FULL (A700) when a new object must be refused. */
  async admit(): Promise<void> {
    const why = refusal(await this.usage(), this.limits);
    if (why !== undefined) throw new ReceiveError('DISK_FULL', why);
  }

  async aboveWatermark(): Promise<boolean> {
    return aboveWatermark(await this.usage(), this.limits);
  }

  /** Forget the cached usage (after a purge freed space). */
  invalidate(): void {
    this.cached = undefined;
  }
}
