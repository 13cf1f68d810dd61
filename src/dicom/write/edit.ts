import type { Dataset, ValueElement } from '../dataset.js';
import { lookupTag } from '../dictionary/index.js';
import { DicomError } from '../errors.js';
import { formatTag, type Tag } from '../tag.js';
import { CHARSET_VRS, SINGLE_VALUED_STRING_VRS, STRING_VRS, type VR } from '../vr.js';
import { charsetEncoder } from '../charset/index.js';

/**
 * Element-level edits. An edit replaces one element; every other element keeps the bytes it was
 * read with, so a de-identified copy differs from its source only where it was changed.
 */

/** Removes an element; returns whether it was there. */
export function removeElement(dataset: Dataset, tag: Tag): boolean {
  return dataset.elements.delete(tag);
}

/** Sets a string-valued element (PS3.5 6.2), encoded with the dataset's character set. */
export function setStrings(dataset: Dataset, tag: Tag, values: readonly string[], vr?: VR): void {
  const chosen = vr ?? dictionaryVR(tag);
  if (!STRING_VRS.has(chosen)) {
    throw new DicomError('NOT_ENCODABLE', `VR ${chosen} is not a string VR`, { tag });
  }
  if (values.length > 1 && SINGLE_VALUED_STRING_VRS.has(chosen)) {
    throw new DicomError('NOT_ENCODABLE', `VR ${chosen} holds one value`, { tag });
  }
  for (const value of values) {
    if (value.includes('\\') && !SINGLE_VALUED_STRING_VRS.has(chosen)) {
      throw new DicomError('NOT_ENCODABLE', `a ${chosen} value may not contain a backslash`, {
        tag,
      });
    }
  }
  const text = values.join('\\');
  let bytes: Uint8Array;
  if (CHARSET_VRS.has(chosen)) {
    bytes = charsetEncoder(characterSetTerms(dataset)).encode(text, chosen);
  } else {
    bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7e) {
        throw new DicomError('NOT_ENCODABLE', `${chosen} values use the default repertoire only`, {
          tag,
        });
      }
      bytes[i] = code;
    }
  }
  // Even length, padded with NUL for UI and a space otherwise (PS3.5 6.2).
  if (bytes.length % 2 === 1) {
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    padded[bytes.length] = chosen === 'UI' ? 0x00 : 0x20;
    bytes = padded;
  }
  put(dataset, tag, chosen, bytes);
}

const NUMBER_WRITERS: Partial<
  Record<VR, [number, (view: DataView, at: number, v: number, le: boolean) => void]>
> = {
  US: [2, (v, at, x, le) => v.setUint16(at, x, le)],
  SS: [2, (v, at, x, le) => v.setInt16(at, x, le)],
  UL: [4, (v, at, x, le) => v.setUint32(at, x, le)],
  SL: [4, (v, at, x, le) => v.setInt32(at, x, le)],
  FL: [4, (v, at, x, le) => v.setFloat32(at, x, le)],
  FD: [8, (v, at, x, le) => v.setFloat64(at, x, le)],
};

/** Sets a binary-number element (US, SS, UL, SL, FL, FD) in the dataset's byte order. */
export function setNumbers(dataset: Dataset, tag: Tag, values: readonly number[], vr?: VR): void {
  const chosen = vr ?? dictionaryVR(tag);
  const writer = NUMBER_WRITERS[chosen];
  if (writer === undefined) {
    throw new DicomError('NOT_ENCODABLE', `VR ${chosen} is not a binary number VR`, { tag });
  }
  const [width, write] = writer;
  const bytes = new Uint8Array(width * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => write(view, i * width, value, dataset.encoding.littleEndian));
  put(dataset, tag, chosen, bytes);
}

/** Sets an element from raw value bytes, already in the dataset's byte order and padded. */
export function setBytes(dataset: Dataset, tag: Tag, vr: VR, bytes: Uint8Array): void {
  if (bytes.length % 2 === 1) {
    throw new DicomError(
      'NOT_ENCODABLE',
      `value of ${formatTag(tag)} has odd length ${bytes.length}`,
      { tag },
    );
  }
  put(dataset, tag, vr, bytes);
}

function put(dataset: Dataset, tag: Tag, vr: VR, bytes: Uint8Array): void {
  const element: ValueElement = {
    kind: 'value',
    tag,
    vr,
    wireVR: dataset.encoding.explicitVR ? vr : undefined,
    offset: -1,
    length: bytes.length,
    bytes,
  };
  dataset.elements.set(tag, element);
}

function dictionaryVR(tag: Tag): VR {
  const entry = lookupTag(tag);
  if (entry === undefined) {
    throw new DicomError('NOT_ENCODABLE', 'the dictionary does not know this tag: give its VR', {
      tag,
    });
  }
  return entry.vr;
}

function characterSetTerms(dataset: Dataset): string[] {
  const element = dataset.characterSetElement();
  if (element?.bytes === undefined) return [];
  return String.fromCharCode(...element.bytes)
    .split('\\')
    .map((term) => term.trim());
}
