import {
  UNDEFINED_LENGTH,
  type BulkRef,
  type Dataset,
  type DatasetEncoding,
  type Element,
  type ValueElement,
} from '../dataset.js';
import { DicomError } from '../errors.js';
import { ITEM, ITEM_DELIMITATION, SEQUENCE_DELIMITATION, type Tag } from '../tag.js';
import { BINARY_VR_WIDTH, LONG_HEADER_VRS, type VR } from '../vr.js';

export interface EncodeOptions {
  /** Supplies the bytes of values that were left out as bulk data when parsing. */
  readonly readBulk?: ((ref: BulkRef) => Uint8Array) | undefined;
}

/**
 * The encoded bytes of a dataset, as a list of parts (values are not copied). An element that was
 * not changed is written with the same VR field, the same length form (defined or undefined) and
 * the same value bytes it was read with, so a dataset re-written in its own encoding comes back
 * byte for byte. Converting between encodings swaps binary values (PS3.5 7.3) and recomputes
 * defined lengths.
 */
export function encodeDataset(
  dataset: Dataset,
  target: DatasetEncoding,
  options: EncodeOptions = {},
): Uint8Array[] {
  const parts: Uint8Array[] = [];
  encodeInto(dataset, target, options, parts);
  return parts;
}

export function byteLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

function encodeInto(
  dataset: Dataset,
  target: DatasetEncoding,
  options: EncodeOptions,
  parts: Uint8Array[],
): void {
  for (const element of sortedElements(dataset)) {
    encodeElement(element, dataset.encoding, target, options, parts);
  }
}

function sortedElements(dataset: Dataset): Element[] {
  let sorted = true;
  let last = -1;
  for (const tag of dataset.elements.keys()) {
    if (tag < last) {
      sorted = false;
      break;
    }
    last = tag;
  }
  const elements = [...dataset.elements.values()];
  return sorted ? elements : elements.sort((a, b) => a.tag - b.tag);
}

function encodeElement(
  element: Element,
  source: DatasetEncoding,
  target: DatasetEncoding,
  options: EncodeOptions,
  parts: Uint8Array[],
): void {
  switch (element.kind) {
    case 'value': {
      const value = valueBytes(element, source, target, options);
      let vr = headerVR(element, target);
      if (target.explicitVR && !LONG_HEADER_VRS.has(vr) && value.length > 0xffff) {
        // Too long for a 16-bit length: DCMTK and the standard's UN rule (PS3.5 6.2.2) allow UN.
        vr = 'UN';
      }
      parts.push(header(element.tag, vr, value.length, target));
      parts.push(value);
      return;
    }
    case 'sequence': {
      // A sequence that arrived as UN in explicit VR keeps that form and its implicit-VR items.
      const keepUN = element.wireVR === 'UN' && target.explicitVR && source.explicitVR;
      const itemTarget = keepUN ? IMPLICIT_LE : target;
      const vr: VR = keepUN ? 'UN' : 'SQ';
      const body: Uint8Array[] = [];
      for (const item of element.items) {
        const content: Uint8Array[] = [];
        encodeInto(item.dataset, itemTarget, options, content);
        if (item.length === UNDEFINED_LENGTH) {
          body.push(itemHeader(ITEM, UNDEFINED_LENGTH, itemTarget), ...content);
          body.push(itemHeader(ITEM_DELIMITATION, 0, itemTarget));
        } else {
          body.push(itemHeader(ITEM, byteLength(content), itemTarget), ...content);
        }
      }
      if (element.length === UNDEFINED_LENGTH) {
        parts.push(header(element.tag, vr, UNDEFINED_LENGTH, target), ...body);
        parts.push(itemHeader(SEQUENCE_DELIMITATION, 0, itemTarget));
      } else {
        parts.push(header(element.tag, vr, byteLength(body), target), ...body);
      }
      return;
    }
    case 'encapsulated': {
      // PS3.5 A.4: undefined length, items little endian, ended by a sequence delimiter.
      parts.push(header(element.tag, headerVR(element, target), UNDEFINED_LENGTH, target));
      for (const fragment of element.fragments) {
        const bytes =
          fragment.bytes ??
          bulk(options, { offset: fragment.offset + 8, length: fragment.length }, element.tag);
        parts.push(itemHeader(ITEM, bytes.length, EXPLICIT_LE), bytes);
      }
      parts.push(itemHeader(SEQUENCE_DELIMITATION, 0, EXPLICIT_LE));
      return;
    }
  }
}

const IMPLICIT_LE: DatasetEncoding = { explicitVR: false, littleEndian: true };
const EXPLICIT_LE: DatasetEncoding = { explicitVR: true, littleEndian: true };

function headerVR(element: Element, target: DatasetEncoding): VR {
  // Keep the VR as it was on the wire when there was one, so a re-write is verbatim.
  if (target.explicitVR && element.wireVR !== undefined) return element.wireVR;
  return element.vr;
}

function valueBytes(
  element: ValueElement,
  source: DatasetEncoding,
  target: DatasetEncoding,
  options: EncodeOptions,
): Uint8Array {
  const bytes = element.bytes ?? bulk(options, element.bulk, element.tag);
  if (source.littleEndian === target.littleEndian) return bytes;
  return swapBytes(bytes, element.vr);
}

function bulk(options: EncodeOptions, ref: BulkRef | undefined, tag: Tag): Uint8Array {
  if (ref === undefined || options.readBulk === undefined) {
    throw new DicomError(
      'NOT_ENCODABLE',
      'a value left out as bulk data cannot be written without its source',
      { tag },
    );
  }
  return options.readBulk(ref);
}

/** Byte-swaps a value between little and big endian by the width of its VR (PS3.5 7.3). */
export function swapBytes(bytes: Uint8Array, vr: VR): Uint8Array {
  const width = BINARY_VR_WIDTH[vr] ?? 1;
  if (width === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const whole = bytes.length - (bytes.length % width);
  for (let i = 0; i < whole; i += width) {
    for (let k = 0; k < width; k++) out[i + k] = bytes[i + width - 1 - k]!;
  }
  out.set(bytes.subarray(whole), whole);
  return out;
}

function header(tag: Tag, vr: VR, length: number, target: DatasetEncoding): Uint8Array {
  const le = target.littleEndian;
  if (!target.explicitVR) {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    writeTag(view, 0, tag, le);
    view.setUint32(4, length, le);
    return out;
  }
  const long = LONG_HEADER_VRS.has(vr);
  const out = new Uint8Array(long ? 12 : 8);
  const view = new DataView(out.buffer);
  writeTag(view, 0, tag, le);
  out[4] = vr.charCodeAt(0);
  out[5] = vr.charCodeAt(1);
  if (long) view.setUint32(8, length, le);
  else view.setUint16(6, length, le);
  return out;
}

function itemHeader(tag: Tag, length: number, target: DatasetEncoding): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  writeTag(view, 0, tag, target.littleEndian);
  view.setUint32(4, length, target.littleEndian);
  return out;
}

function writeTag(view: DataView, at: number, tag: Tag, le: boolean): void {
  view.setUint16(at, tag >>> 16, le);
  view.setUint16(at + 2, tag & 0xffff, le);
}
