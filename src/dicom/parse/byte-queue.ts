/**
 * A queue of byte chunks as they arrive (from a file read or a network PDU), read front to back.
 * Reads inside one chunk are views (no copy); only a header that straddles two chunks is copied
 * into a joined chunk, so the cost of joining is bounded by the bytes passed through once.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private available = 0;
  /** Absolute stream offset of the next unread byte. */
  position: number;

  constructor(position = 0) {
    this.position = position;
  }

  get length(): number {
    return this.available;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /**
   * Makes the next `n` bytes contiguous and returns the chunk that holds them and the index of
   * the first one. The caller must have checked `length >= n`.
   */
  contiguous(n: number): [Uint8Array, number] {
    let first = this.chunks[0]!;
    if (first.length - this.head >= n) return [first, this.head];
    // Join the front chunks until n bytes are contiguous.
    let size = first.length - this.head;
    let count = 1;
    while (size < n) size += this.chunks[count++]!.length;
    const joined = new Uint8Array(size);
    joined.set(first.subarray(this.head), 0);
    let at = first.length - this.head;
    for (let i = 1; i < count; i++) {
      const chunk = this.chunks[i]!;
      joined.set(chunk, at);
      at += chunk.length;
    }
    this.chunks.splice(0, count, joined);
    this.head = 0;
    first = joined;
    return [first, 0];
  }

  /** The next n bytes, consumed: a view when they lie in one chunk, else a copy. */
  take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (n === 0 || first === undefined) return new Uint8Array(0);
    let out: Uint8Array;
    if (first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.advanceWithin(n);
      return out;
    }
    out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length - this.head, n - filled);
      out.set(chunk.subarray(this.head, this.head + part), filled);
      filled += part;
      this.advanceWithin(part);
    }
    return out;
  }

  /** Consumes up to n bytes; returns how many were consumed. */
  skip(n: number): number {
    let left = Math.min(n, this.available);
    const done = left;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length - this.head, left);
      this.advanceWithin(part);
      left -= part;
    }
    return done;
  }

  /** Everything not yet read, consumed (used to hand the rest of a stream to the inflater). */
  drain(): Uint8Array[] {
    const out = this.chunks.map((c, i) => (i === 0 ? c.subarray(this.head) : c));
    this.position += this.available;
    this.chunks = [];
    this.head = 0;
    this.available = 0;
    return out;
  }

  private advanceWithin(n: number): void {
    this.head += n;
    this.available -= n;
    this.position += n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
