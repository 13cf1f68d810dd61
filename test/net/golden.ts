// The PDUs captured from DCMTK 3.6.7 by fixtures/capture-dcmtk.ts (see that script for how).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const goldenDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures/dcmtk',
);

export const GOLDEN_NAMES = [
  'echoscu-a-associate-rq',
  'echoscu-p-data-tf-c-echo-rq',
  'echoscu-a-release-rq',
  'echoscu-a-abort',
  'echoscu-128-contexts-a-associate-rq',
  'storescu-user-identity-a-associate-rq',
  'findscu-a-associate-rq',
  'getscu-a-associate-rq',
  'storescp-a-associate-ac',
  'storescp-p-data-tf-c-echo-rsp',
  'storescp-a-release-rp',
  'storescp-getscu-a-associate-ac',
  'storescp-refuse-a-associate-rj',
] as const;
export type GoldenName = (typeof GOLDEN_NAMES)[number];

/** The bytes of a golden PDU (`#` lines are comments; the rest is hex). */
export function golden(name: GoldenName): Uint8Array {
  const text = readFileSync(path.join(goldenDir, `${name}.hex`), 'utf8');
  const hex = text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('')
    .trim();
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** The fixture files present on disk, without extension. */
export function goldenFiles(): string[] {
  return readdirSync(goldenDir)
    .filter((file) => file.endsWith('.hex'))
    .map((file) => file.slice(0, -'.hex'.length))
    .sort();
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
