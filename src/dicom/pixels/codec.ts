import type { PixelDescription } from './description.js';

/**
 * A decoder for the encapsulated pixel data of some transfer syntaxes (PS3.5 A.4). It decodes
 * one frame at a time; frame splitting, byte order and assembling the frames are done around it.
 */
export interface Codec {
  /** Human-readable name for messages (`RLE`, `JPEG (libjpeg 6b via dcmjs-codecs)`). */
  readonly name: string;
  /** Transfer syntax UIDs it decodes. */
  readonly transferSyntaxes: readonly string[];
  /**
   * One frame's decoded pixel cells, little endian, laid out as `decodedDescription(desc)`
   * says. Throws (anything) when the frame cannot be decoded; the caller wraps the error.
   */
  decode(frame: Uint8Array, desc: PixelDescription): Uint8Array;
  /**
   * How the decoded frame is laid out when it differs from the encoded image's attributes: a
   * JPEG decoder returns YBR as RGB and always colour-by-pixel, for example. Default: the same.
   */
  decodedDescription?(desc: PixelDescription): PixelDescription;
  /**
   * Whether a fragment begins a new frame (a codestream start marker). Used to split fragments
   * into frames when there is no offset table and there are more fragments than frames.
   */
  isFrameStart?(fragment: Uint8Array): boolean;
}

/** Codecs by transfer syntax UID. The last codec registered for a syntax wins. */
export class CodecRegistry {
  private readonly bySyntax = new Map<string, Codec>();

  constructor(codecs: Iterable<Codec> = []) {
    for (const codec of codecs) this.register(codec);
  }

  register(codec: Codec): this {
    for (const uid of codec.transferSyntaxes) this.bySyntax.set(uid, codec);
    return this;
  }

  get(transferSyntaxUid: string): Codec | undefined {
    return this.bySyntax.get(transferSyntaxUid);
  }

  /** Transfer syntaxes with a codec, sorted. */
  transferSyntaxes(): string[] {
    return [...this.bySyntax.keys()].sort();
  }

  /** A new registry with these codecs and then `more` (which win on a shared syntax). */
  with(...more: Codec[]): CodecRegistry {
    return new CodecRegistry([...new Set(this.bySyntax.values()), ...more]);
  }
}
