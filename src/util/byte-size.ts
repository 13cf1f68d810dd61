// Byte sizes written for people: `1073741824`, `512MB`, `10 GiB`.

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * A non-negative whole number of bytes from a number or a string with an optional unit (B, KB,
 * MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024; case-insensitive).
 * Undefined for anything else, including fractions of a byte and unsafe integers.
 */
export function parseByteSize(value: number | string): number | undefined {
  let bytes: number;
  if (typeof value === 'number') {
    bytes = value;
  } else {
    const match = SIZE.exec(value.trim());
    if (!match) return undefined;
    const unit = UNITS[(match[2] ?? '').toLowerCase() || 'b'];
    if (unit === undefined) return undefined;
    bytes = Number(match[1]) * unit;
  }
  return Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : undefined;
}
