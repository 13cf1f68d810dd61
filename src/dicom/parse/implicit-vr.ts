import type { Dataset } from '../dataset.js';
import { lookupTag } from '../dictionary/index.js';
import { isPrivateCreatorTag, makeTag, tagElement, tagGroup, type Tag } from '../tag.js';
import type { VR } from '../vr.js';

const PIXEL_REPRESENTATION = makeTag(0x0028, 0x0103);

/**
 * The VR of an element read in implicit VR, where the stream does not say it (PS3.5 7.1.3):
 * the dictionary's, with the dictionary's alternatives ("US or SS", "OB or OW") resolved the way
 * PS3.5 A.1 and the IODs require, and UN for what the dictionary does not know.
 */
export function implicitVR(tag: Tag, dataset: Dataset): VR {
  if (tagElement(tag) === 0x0000) return 'UL'; // group length (PS3.5 7.2)
  if (isPrivateCreatorTag(tag)) return 'LO'; // PS3.5 7.8.1
  const entry = lookupTag(tag);
  if (entry === undefined) return 'UN';
  if (entry.vrs.length <= 1) return entry.vr;
  return resolveAmbiguous(tag, entry.vrs, dataset);
}

/**
 * Resolves a dictionary entry with several VRs. In implicit VR little endian, OB-or-OW data is
 * always OW (PS3.5 A.1 c); US-or-SS pixel-value attributes follow Pixel Representation (PS3.3
 * C.7.6.3.1.4), found in the same dataset or an enclosing one.
 */
function resolveAmbiguous(tag: Tag, vrs: readonly VR[], dataset: Dataset): VR {
  if (vrs.includes('OW')) return 'OW';
  if (vrs.includes('US') && vrs.includes('SS')) {
    return pixelRepresentation(dataset) === 1 && !isLutDescriptor(tag) ? 'SS' : 'US';
  }
  return vrs[0]!;
}

/** LUT Descriptors are US whatever the pixel representation (PS3.3 C.11.1.1.1). */
function isLutDescriptor(tag: Tag): boolean {
  const group = tagGroup(tag);
  const element = tagElement(tag);
  return group === 0x0028 && (element === 0x3002 || (element >= 0x1101 && element <= 0x1103));
}

function pixelRepresentation(dataset: Dataset): number | undefined {
  for (let ds: Dataset | undefined = dataset; ds !== undefined; ds = ds.parent) {
    const element = ds.get(PIXEL_REPRESENTATION);
    if (element?.kind === 'value' && element.bytes !== undefined && element.bytes.length >= 2) {
      const b = element.bytes;
      return ds.encoding.littleEndian ? b[0]! | (b[1]! << 8) : (b[0]! << 8) | b[1]!;
    }
  }
  return undefined;
}
