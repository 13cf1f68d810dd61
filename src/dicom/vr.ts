/**
 * Value Representations (PS3.5 section 6.2).
 */
// prettier-ignore
export const VRS = [
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL',
  'OV', 'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US',
  'UT', 'UV',
] as const;

export type VR = (typeof VRS)[number];

const VR_SET: ReadonlySet<string> = new Set(VRS);

export function isVR(value: string): value is VR {
  return VR_SET.has(value);
}

/**
 * VRs whose explicit-VR header has two reserved bytes and a 32-bit length (PS3.5 7.1.2, table 7.1-1).
 */
// prettier-ignore
export const LONG_HEADER_VRS: ReadonlySet<VR> = new Set<VR>([
  'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV',
]);

/** Character-string VRs. */
// prettier-ignore
export const STRING_VRS: ReadonlySet<VR> = new Set<VR>([
  'AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR',
  'UT',
]);

/**
 * String VRs whose values may use the Specific Character Set (PS3.5 6.1.2.3); the others use the
 * default repertoire only.
 */
export const CHARSET_VRS: ReadonlySet<VR> = new Set<VR>(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);

/** String VRs that hold a single value: backslash is an ordinary character there (PS3.5 6.2). */
export const SINGLE_VALUED_STRING_VRS: ReadonlySet<VR> = new Set<VR>(['LT', 'ST', 'UT', 'UR']);

/** Size in bytes of one value of a binary VR, for byte swapping and typed arrays. */
export const BINARY_VR_WIDTH: Readonly<Partial<Record<VR, number>>> = {
  AT: 2, // swapped as two 16-bit halves
  FD: 8,
  FL: 4,
  OB: 1,
  OD: 8,
  OF: 4,
  OL: 4,
  OV: 8,
  OW: 2,
  SL: 4,
  SS: 2,
  SV: 8,
  UL: 4,
  US: 2,
  UV: 8,
  UN: 1,
};
