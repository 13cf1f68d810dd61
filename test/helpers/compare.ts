import type { Dataset, DatasetEncoding, Element } from '../../src/dicom/dataset.js';
import { formatTag } from '../../src/dicom/tag.js';
import { swapBytes } from '../../src/dicom/write/encode.js';

/**
 * Differences between two datasets as "same data" (tags, VRs, values; values compared in little
 * endian), ignoring how they were encoded. Empty when equal. Paths name nested elements.
 */
export interface CompareOptions {
  /**
   * Accept a different VR when the values are equal: implicit VR cannot carry the VR, so a
   * dataset converted to it comes back with dictionary VRs (PS3.5 A.1) and UN for private tags.
   */
  readonly ignoreVR?: boolean;
}

export function datasetDifferences(
  a: Dataset,
  b: Dataset,
  options: CompareOptions = {},
  path = '',
): string[] {
  const out: string[] = [];
  const tags = new Set([...a.elements.keys(), ...b.elements.keys()]);
  for (const tag of [...tags].sort((x, y) => x - y)) {
    const where = `${path}${formatTag(tag)}`;
    const x = a.get(tag);
    const y = b.get(tag);
    if (x === undefined || y === undefined) {
      out.push(`${where}: ${x === undefined ? 'missing in first' : 'missing in second'}`);
      continue;
    }
    out.push(...elementDifferences(x, a.encoding, y, b.encoding, where, options));
  }
  return out;
}

function elementDifferences(
  x: Element,
  ex: DatasetEncoding,
  y: Element,
  ey: DatasetEncoding,
  where: string,
  options: CompareOptions,
): string[] {
  if (x.kind !== y.kind) return [`${where}: ${x.kind} vs ${y.kind}`];
  if (x.vr !== y.vr && options.ignoreVR !== true) return [`${where}: VR ${x.vr} vs ${y.vr}`];
  if (x.kind === 'value' && y.kind === 'value') {
    const bx = littleEndian(x.bytes, x.vr, ex);
    const by = littleEndian(y.bytes, y.vr, ey);
    return equalBytes(bx, by) ? [] : [`${where}: values differ`];
  }
  if (x.kind === 'sequence' && y.kind === 'sequence') {
    if (x.items.length !== y.items.length) {
      return [`${where}: ${x.items.length} vs ${y.items.length} items`];
    }
    return x.items.flatMap((item, i) =>
      datasetDifferences(item.dataset, y.items[i]!.dataset, options, `${where}/${i}/`),
    );
  }
  if (x.kind === 'encapsulated' && y.kind === 'encapsulated') {
    if (x.fragments.length !== y.fragments.length) return [`${where}: fragment counts differ`];
    const same = x.fragments.every((f, i) => equalBytes(f.bytes, y.fragments[i]!.bytes));
    return same ? [] : [`${where}: fragments differ`];
  }
  return [];
}

function littleEndian(
  bytes: Uint8Array | undefined,
  vr: Element['vr'],
  encoding: DatasetEncoding,
): Uint8Array | undefined {
  if (bytes === undefined || encoding.littleEndian) return bytes;
  return swapBytes(bytes, vr);
}

function equalBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
