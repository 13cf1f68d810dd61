/**
 * Splitting encapsulated pixel data into frames (PS3.5 A.4). Item 0 is the Basic Offset Table;
 * the fragments follow. Where each frame starts is told, in order of preference, by the Extended
 * Offset Table (7FE0,0001) with its lengths (7FE0,0002), by the Basic Offset Table, by there
 * being one fragment per frame (or one frame), or by the codestream start marker that opens
 * each frame when frames span several fragments and no table says where.
 */
import type { Fragment } from '../dataset.js';
import { PixelError } from './errors.js';

export interface FrameSplitOptions {
  /** Number of Frames. */
  readonly frames: number;
  /**
   * Extended Offset Table (7FE0,0001) and Extended Offset Table Lengths (7FE0,0002): per frame,
   * the offset of its fragment's item tag from the first fragment's, and its length (A.4).
   */
  readonly extendedOffsets?: readonly number[] | undefined;
  readonly extendedLengths?: readonly number[] | undefined;
  /** Whether a fragment opens a frame (a JPEG SOI, a J2K SOC...); see Codec.isFrameStart. */
  readonly isFrameStart?: ((fragment: Uint8Array) => boolean) | undefined;
}

/** How the frames were found, for messages and tests. */
export type FrameSplitMethod =
  | 'extended-offset-table'
  | 'basic-offset-table'
  | 'fragment-per-frame'
  | 'single-frame'
  | 'start-markers';

export interface SplitFrames {
  readonly frames: Uint8Array[];
  readonly method: FrameSplitMethod;
}

/**
 * The bytes of each frame: a view of its fragment when it has one, the fragments concatenated
 * when it spans several. Throws PixelError BAD_PIXEL_DATA for a fragment that was not loaded and
 * BAD_FRAMES when no method accounts for the frames announced.
 */
export function splitFrames(
  fragments: readonly Fragment[],
  options: FrameSplitOptions,
): SplitFrames {
  const { frames } = options;
  const items = fragments.slice(1).map((fragment, i) => ({
    offset: fragment.offset,
    bytes: loaded(fragment, i + 1),
  }));
  if (items.length === 0) {
    throw new PixelError('BAD_FRAMES', 'encapsulated Pixel Data has no fragments');
  }
  const origin = items[0]!.offset;
  const indexAt = new Map(items.map((item, i) => [item.offset - origin, i]));

  const extended = fromExtendedTable(items, indexAt, options);
  if (extended !== undefined) return { frames: extended, method: 'extended-offset-table' };

  const bot = basicOffsetTable(fragments[0]);
  const starts = bot.map((offset) => indexAt.get(offset));
  if (
    bot.length === frames &&
    starts.every((start, i) => start !== undefined && (i === 0 || start > starts[i - 1]!)) &&
    starts[0] === 0
  ) {
    return { frames: group(items, starts as number[]), method: 'basic-offset-table' };
  }
  if (items.length === frames) {
    return { frames: items.map((item) => item.bytes), method: 'fragment-per-frame' };
  }
  if (frames === 1)
    return { frames: [concat(items.map((item) => item.bytes))], method: 'single-frame' };
  if (items.length > frames && options.isFrameStart !== undefined) {
    const isStart = options.isFrameStart;
    const marked = items.flatMap((item, i) => (i === 0 || isStart(item.bytes) ? [i] : []));
    if (marked.length === frames) return { frames: group(items, marked), method: 'start-markers' };
    throw new PixelError(
      'BAD_FRAMES',
      `${items.length} fragments hold ${marked.length} codestream starts, not the ${frames} frames announced`,
    );
  }
  throw new PixelError(
    'BAD_FRAMES',
    `${items.length} fragment(s) cannot be split into ${frames} frames without an offset table`,
  );
}

function loaded(fragment: Fragment, index: number): Uint8Array {
  if (fragment.bytes === undefined) {
    throw new PixelError('BAD_PIXEL_DATA', `fragment ${index} of Pixel Data was not loaded`);
  }
  return fragment.bytes;
}

/** The Basic Offset Table's offsets (UL, little endian: encapsulation is always LE). */
export function basicOffsetTable(table: Fragment | undefined): number[] {
  const bytes = table?.bytes;
  if (bytes === undefined || bytes.length < 4) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) offsets.push(view.getUint32(i, true));
  return offsets;
}

interface Item {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

function fromExtendedTable(
  items: readonly Item[],
  indexAt: ReadonlyMap<number, number>,
  options: FrameSplitOptions,
): Uint8Array[] | undefined {
  const { extendedOffsets: offsets, extendedLengths: lengths, frames } = options;
  if (offsets === undefined || offsets.length === 0) return undefined;
  if (offsets.length !== frames || (lengths !== undefined && lengths.length !== frames)) {
    throw new PixelError(
      'BAD_FRAMES',
      `the Extended Offset Table has ${offsets.length} entries for ${frames} frames`,
    );
  }
  return offsets.map((offset, frame) => {
    const index = indexAt.get(offset);
    if (index === undefined) {
      throw new PixelError(
        'BAD_FRAMES',
        `Extended Offset Table offset ${offset} is not a fragment`,
        {
          frame,
        },
      );
    }
    // A frame is exactly one fragment when the table is used (A.4); the length drops the pad.
    const bytes = items[index]!.bytes;
    const length = lengths?.[frame] ?? bytes.length;
    if (length > bytes.length) {
      throw new PixelError('BAD_FRAMES', `frame length ${length} exceeds its fragment`, { frame });
    }
    return bytes.subarray(0, length);
  });
}

/** Frames from the index of each frame's first fragment. */
function group(items: readonly Item[], starts: readonly number[]): Uint8Array[] {
  return starts.map((start, i) => {
    const end = starts[i + 1] ?? items.length;
    return concat(items.slice(start, end).map((item) => item.bytes));
  });
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A JPEG (10918-1, 14495-1) codestream starts with SOI, FFD8 (B.1.1.3). */
export function startsWithJpegSoi(fragment: Uint8Array): boolean {
  return fragment[0] === 0xff && fragment[1] === 0xd8;
}

/**
 * A JPEG 2000 codestream starts with SOC then SIZ, FF4F FF51 (15444-1 A.4.1); a JP2 file with
 * its signature box.
 */
export function startsWithJ2kCodestream(fragment: Uint8Array): boolean {
  if (
    fragment[0] === 0xff &&
    fragment[1] === 0x4f &&
    fragment[2] === 0xff &&
    fragment[3] === 0x51
  ) {
    return true;
  }
  const jp2 = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20];
  return jp2.every((byte, i) => fragment[i] === byte);
}
