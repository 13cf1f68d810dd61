import { SPECIFIC_CHARACTER_SET, type Tag } from './tag.js';
import type { VR } from './vr.js';

/** The 0xFFFFFFFF length that marks an undefined length (PS3.5 7.1.1). */
export const UNDEFINED_LENGTH = 0xffffffff;

/**
 * Where a value that was not kept in memory lives: an absolute byte range of the parsed stream
 * (of the inflated stream for deflated transfer syntaxes). The CLI turns it into a BulkDataURI.
 */
export interface BulkRef {
  readonly offset: number;
  readonly length: number;
}

interface ElementCommon {
  readonly tag: Tag;
  /** The VR to interpret the value with: the encoded one, or the dictionary's where the encoded one is UN or absent. */
  readonly vr: VR;
  /** The VR as encoded in an explicit-VR stream; undefined in implicit VR. Kept so a re-write is verbatim. */
  readonly wireVR: VR | undefined;
  /** Absolute offset of the element's first byte (its tag). */
  readonly offset: number;
  /** The value length as encoded: UNDEFINED_LENGTH for sequences and pixel data of undefined length. */
  readonly length: number;
  /** For a private element (gggg,xxyy): the value of its Private Creator (gggg,00xx), when present. */
  readonly privateCreator?: string | undefined;
}

export interface ValueElement extends ElementCommon {
  readonly kind: 'value';
  /** The value bytes as encoded (dataset byte order); undefined when the value was left out as bulk data. */
  readonly bytes: Uint8Array | undefined;
  /** Set when bytes is undefined: where the value is in the stream. */
  readonly bulk?: BulkRef | undefined;
}

export interface Item {
  /** Offset of the item tag (FFFE,E000). */
  readonly offset: number;
  /** The item length as encoded (UNDEFINED_LENGTH when delimited). */
  readonly length: number;
  readonly dataset: Dataset;
}

export interface SequenceElement extends ElementCommon {
  readonly kind: 'sequence';
  readonly items: Item[];
}

/** One item of encapsulated pixel data (PS3.5 A.4): the first is the Basic Offset Table. */
export interface Fragment {
  /** Offset of the item tag. The value starts 8 bytes later. */
  readonly offset: number;
  readonly length: number;
  /** The fragment bytes; undefined when left out as bulk data (then at offset + 8). */
  readonly bytes: Uint8Array | undefined;
}

export interface EncapsulatedElement extends ElementCommon {
  readonly kind: 'encapsulated';
  /** Every item in order; fragments[0] is the Basic Offset Table (possibly empty). */
  readonly fragments: Fragment[];
}

export type Element = ValueElement | SequenceElement | EncapsulatedElement;

/** How a dataset's elements are encoded. Items inherit it from their sequence (PS3.5 7.5). */
export interface DatasetEncoding {
  readonly explicitVR: boolean;
  readonly littleEndian: boolean;
}

export const EXPLICIT_LITTLE: DatasetEncoding = Object.freeze({
  explicitVR: true,
  littleEndian: true,
});
export const IMPLICIT_LITTLE: DatasetEncoding = Object.freeze({
  explicitVR: false,
  littleEndian: true,
});
export const EXPLICIT_BIG: DatasetEncoding = Object.freeze({
  explicitVR: true,
  littleEndian: false,
});

/**
 * A set of data elements: the top-level dataset, the file meta group, or a sequence item.
 * Elements are kept in the order they were read (ascending tag order in a valid stream).
 */
export class Dataset {
  readonly elements = new Map<Tag, Element>();
  readonly encoding: DatasetEncoding;
  /** The dataset that holds the sequence this item belongs to; undefined at the top level. */
  readonly parent: Dataset | undefined;

  constructor(encoding: DatasetEncoding, parent?: Dataset) {
    this.encoding = encoding;
    this.parent = parent;
  }

  get(tag: Tag): Element | undefined {
    return this.elements.get(tag);
  }

  has(tag: Tag): boolean {
    return this.elements.has(tag);
  }

  get size(): number {
    return this.elements.size;
  }

  /** Elements in ascending tag order. */
  sorted(): Element[] {
    return [...this.elements.values()].sort((a, b) => a.tag - b.tag);
  }

  /**
   * The Specific Character Set element that governs this dataset: its own, or the nearest
   * enclosing dataset's (PS3.5 7.5.3: an item may declare its own).
   */
  characterSetElement(): ValueElement | undefined {
    for (let ds: Dataset | undefined = this; ds !== undefined; ds = ds.parent) {
      const element = ds.elements.get(SPECIFIC_CHARACTER_SET);
      if (element?.kind === 'value') return element;
    }
    return undefined;
  }
}
