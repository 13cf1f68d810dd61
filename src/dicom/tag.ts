/**
 * A data element tag as one unsigned 32-bit number: group in the high 16 bits, element in the low
 * 16 bits. Numbers compare in the order the standard sorts elements (PS3.5 7.1).
 */
export type Tag = number;

export function makeTag(group: number, element: number): Tag {
  return ((group & 0xffff) * 0x10000 + (element & 0xffff)) >>> 0;
}

export function tagGroup(tag: Tag): number {
  return tag >>> 16;
}

export function tagElement(tag: Tag): number {
  return tag & 0xffff;
}

/** `00100010`: the form the DICOM JSON model uses (PS3.18 F.2.1.1). */
export function tagHex(tag: Tag): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** `(0010,0010)`: the form dumps and error messages use. */
export function formatTag(tag: Tag): string {
  const hex = tagHex(tag);
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

/** Parses `00100010`, `0010,0010` or `(0010,0010)`; undefined if it is none of these. */
export function parseTag(text: string): Tag | undefined {
  const match = /^\(?([0-9a-fA-F]{4}),?([0-9a-fA-F]{4})\)?$/.exec(text.trim());
  if (!match) return undefined;
  return makeTag(parseInt(match[1]!, 16), parseInt(match[2]!, 16));
}

/** Private data elements have an odd group number (PS3.5 7.8.1), except groups 0001-0007 and FFFF. */
export function isPrivateTag(tag: Tag): boolean {
  const group = tagGroup(tag);
  return (group & 1) === 1 && group > 0x0007 && group !== 0xffff;
}

/** Private Creator elements are (gggg,0010)-(gggg,00FF) in a private group (PS3.5 7.8.1). */
export function isPrivateCreatorTag(tag: Tag): boolean {
  const element = tagElement(tag);
  return isPrivateTag(tag) && element >= 0x0010 && element <= 0x00ff;
}

/** The creator element that reserves the block a private element lives in, or undefined. */
export function privateCreatorTagFor(tag: Tag): Tag | undefined {
  const element = tagElement(tag);
  if (!isPrivateTag(tag) || element < 0x1000) return undefined;
  return makeTag(tagGroup(tag), element >>> 8);
}

// Tags the parser and writer must recognise by number (PS3.5 7.5, PS3.10 7.1).
export const ITEM = makeTag(0xfffe, 0xe000);
export const ITEM_DELIMITATION = makeTag(0xfffe, 0xe00d);
export const SEQUENCE_DELIMITATION = makeTag(0xfffe, 0xe0dd);
export const PIXEL_DATA = makeTag(0x7fe0, 0x0010);
export const FLOAT_PIXEL_DATA = makeTag(0x7fe0, 0x0008);
export const DOUBLE_FLOAT_PIXEL_DATA = makeTag(0x7fe0, 0x0009);
export const SPECIFIC_CHARACTER_SET = makeTag(0x0008, 0x0005);
export const TRANSFER_SYNTAX_UID = makeTag(0x0002, 0x0010);
export const FILE_META_GROUP_LENGTH = makeTag(0x0002, 0x0000);
export const EXTENDED_OFFSET_TABLE = makeTag(0x7fe0, 0x0001);
export const EXTENDED_OFFSET_TABLE_LENGTHS = makeTag(0x7fe0, 0x0002);
