/**
 * A queue of byte chunks as they arrive (from a file read or a network PDU), read front to back.
 * Reads inside one chunk are views (no copy); only a header that straddles two chunks is copied
 * into a joined chunk, so the cost of joining is bounded by the bytes passed through once.
 */
export class ByteQueue {
  /**
   * The chunks; those before `first` are consumed. Consumed ones are dropped in batches, not by
   * `shift()`, which costs O(chunks) on a long array: a value arriving in 100,000 TCP segments
   * would otherwise take quadratic time.
   */
  private chunks: Uint8Array[] = [];
  private first = 0;
  /** Read position inside chunks[first]. */
  private head = 0;
  private available = 0;
  /** Absolute stream offset of the next unread byte. */
  position: number;
  /** Where the bytes made contiguous by the last `contiguous` call start in its chunk. */
  index = 0;

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
   * Makes the next `n` bytes contiguous and returns the chunk that holds them; they start at
   * `index` in it. The caller must have checked `length >= n`. (No tuple is returned: this runs
   * once per element, and an array per call is garbage.)
   */
  contiguous(n: number): Uint8Array {
    const first = this.chunks[this.first]!;
    if (first.length - this.head >= n) {
      this.index = this.head;
      return first;
    }
    // Join the front chunks until n bytes are contiguous.
    let size = first.length - this.head;
    let count = 1;
    while (size < n) size += this.chunks[this.first + count++]!.length;
    const joined = new Uint8Array(size);
    joined.set(first.subarray(this.head), 0);
    let at = first.length - this.head;
    for (let i = 1; i < count; i++) {
      const chunk = this.chunks[this.first + i]!;
      joined.set(chunk, at);
      at += chunk.length;
    }
    // The joined bytes take the place of the last chunk they came from.
    this.first += count - 1;
    this.chunks[this.first] = joined;
    this.head = 0;
    this.index = 0;
    return joined;
  }

  /** The next n bytes, consumed: a view when they lie in one chunk, else a copy. */
  take(n: number): Uint8Array {
    const first = this.chunks[this.first];
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
      const chunk = this.chunks[this.first]!;
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
      const chunk = this.chunks[this.first]!;
      const part = Math.min(chunk.length - this.head, left);
      this.advanceWithin(part);
      left -= part;
    }
    return done;
  }

  /** Everything not yet read, consumed (used to hand the rest of a stream to the inflater). */
  drain(): Uint8Array[] {
    const out = this.chunks.slice(this.first).map((c, i) => (i === 0 ? c.subarray(this.head) : c));
    this.position += this.available;
    this.chunks = [];
    this.first = 0;
    this.head = 0;
    this.available = 0;
    return out;
  }

  private advanceWithin(n: number): void {
    this.head += n;
    this.available -= n;
    this.position += n;
    if (this.head === this.chunks[this.first]!.length) {
      this.first++;
      this.head = 0;
      if (this.first === this.chunks.length) {
        this.chunks = [];
        this.first = 0;
      } else if (this.first >= 1024 && this.first * 2 >= this.chunks.length) {
        // Drop the consumed half at once: amortised O(1) per chunk.
        this.chunks = this.chunks.slice(this.first);
        this.first = 0;
      }
    }
  }
}
