/**
 * Slices to one volume: checks that they make one (same size and pixel layout, one orientation,
 * distinct positions evenly spaced along the normal), orders them along the normal and builds
 * the voxel-to-RAS affine from Image Position / Orientation (Patient), Pixel Spacing and the
 * spacing of the positions (PS3.3 C.7.6.2.1.1). Or says, in one sentence, why they do not make a
 * volume. Pure.
 *
 * Layout follows dcm2niix, so arrays load the same either way: i runs along a row (columns), j
 * along a column but stored bottom row first (dcm2niix flips rows), k along the slice normal
 * (row direction x column direction) in ascending order. DICOM's patient coordinates are LPS;
 * NIfTI's are RAS, so x and y change sign.
 */
import type { PixelDescription } from '../../dicom/pixels/index.js';
import type { Affine, NiftiType } from './header.js';
import type { Slice, Vec3 } from './slices.js';

export interface VolumePlan {
  /** The slices in k order. */
  readonly slices: readonly Slice[];
  readonly dims: readonly [number, number, number];
  readonly spacing: readonly [number, number, number];
  readonly affine: Affine;
  readonly type: NiftiType;
  /** Apply each slice's own rescale into float32 voxels (when slices disagree on it). */
  readonly applyRescale: boolean;
  /** scl_slope and scl_inter (stored rescale common to every slice). */
  readonly sclSlope: number;
  readonly sclInter: number;
}

export type PlanResult =
  | { readonly ok: true; readonly plan: VolumePlan }
  | { readonly ok: false; readonly problem: string };

/** Orientation cosines closer than this are the same orientation. */
const ORIENTATION_TOLERANCE = 1e-4;
/** Positions closer than this along the normal (mm) are the same position. */
const POSITION_TOLERANCE = 1e-3;
/** Gaps may differ from the mean gap by this share (or POSITION_TOLERANCE) and still be even. */
const SPACING_TOLERANCE = 0.01;

const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

function sameLayout(a: PixelDescription, b: PixelDescription): boolean {
  return (
    a.rows === b.rows &&
    a.columns === b.columns &&
    a.samplesPerPixel === b.samplesPerPixel &&
    a.bitsAllocated === b.bitsAllocated &&
    a.pixelRepresentation === b.pixelRepresentation &&
    a.kind === b.kind
  );
}

function typeOf(pixels: PixelDescription): NiftiType {
  if (pixels.kind === 'float') return 'float32';
  if (pixels.kind === 'double') return 'float64';
  const signed = pixels.pixelRepresentation === 1;
  if (pixels.bitsAllocated <= 8) return signed ? 'int8' : 'uint8';
  if (pixels.bitsAllocated <= 16) return signed ? 'int16' : 'uint16';
  return signed ? 'int32' : 'uint32';
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

export function planVolume(slices: readonly Slice[]): PlanResult {
  const fail = (problem: string): PlanResult => ({ ok: false, problem });
  if (slices.length === 0) return fail('no slices');
  const first = slices[0]!;
  const n = slices.length;
  if (first.pixels.samplesPerPixel !== 1) {
    return fail(
      `colour images (${first.pixels.samplesPerPixel} samples per pixel) are not exported as NIfTI`,
    );
  }
  if (slices.some((s) => s.mosaic)) {
    return fail(
      'Siemens MOSAIC images (slices tiled in one image, Image Type MOSAIC) are not split into ' +
        'a volume',
    );
  }
  const layouts = slices.filter((s) => !sameLayout(s.pixels, first.pixels)).length;
  if (layouts > 0) {
    return fail(`${count(layouts, 'slice')} of ${n} differ in size or pixel format from the first`);
  }
  const noPosition = slices.filter((s) => s.position === undefined).length;
  const noOrientation = slices.filter((s) => s.orientation === undefined).length;
  const noSpacing = slices.filter((s) => s.pixelSpacing === undefined).length;
  const missing = [
    noPosition > 0 ? `ImagePositionPatient (${noPosition} of ${n})` : '',
    noOrientation > 0 ? `ImageOrientationPatient (${noOrientation} of ${n})` : '',
    noSpacing > 0 ? `PixelSpacing (${noSpacing} of ${n})` : '',
  ].filter((m) => m !== '');
  if (missing.length > 0) return fail(`missing ${missing.join(', ')}: positions are unknown`);

  const iop = first.orientation!;
  const orientations = new Set<number>();
  slices.forEach((s, index) => {
    const differs = s.orientation!.some((v, i) => Math.abs(v - iop[i]!) > ORIENTATION_TOLERANCE);
    if (differs) orientations.add(index);
  });
  if (orientations.size > 0) {
    return fail(
      `mixed orientations: ${count(orientations.size, 'slice')} of ${n} are not parallel to the ` +
        'first (a localizer, or several stacks in one series)',
    );
  }
  const row: Vec3 = [iop[0], iop[1], iop[2]];
  const column: Vec3 = [iop[3], iop[4], iop[5]];
  const normal = cross(row, column);
  if (Math.abs(Math.hypot(...normal) - 1) > 0.01) {
    return fail('ImageOrientationPatient is not two perpendicular unit vectors');
  }
  const [rowSpacing, columnSpacing] = first.pixelSpacing!;
  if (
    slices.some((s) => s.pixelSpacing![0] !== rowSpacing || s.pixelSpacing![1] !== columnSpacing)
  ) {
    return fail('slices differ in PixelSpacing');
  }

  const ordered = slices
    .map((slice) => ({ slice, d: dot(slice.position!, normal) }))
    .sort((a, b) => a.d - b.d);
  let duplicates = 0;
  for (let k = 1; k < n; k++) {
    if (ordered[k]!.d - ordered[k - 1]!.d < POSITION_TOLERANCE) duplicates++;
  }
  if (duplicates > 0) {
    return fail(
      `${count(duplicates, 'slice')} of ${n} share a position with another (several echoes, ` +
        'phases or repeated acquisitions in one series)',
    );
  }
  let step: Vec3;
  if (n === 1) {
    const thickness = first.spacingBetweenSlices ?? first.sliceThickness ?? 1;
    step = [normal[0] * thickness, normal[1] * thickness, normal[2] * thickness];
  } else {
    const p0 = ordered[0]!.slice.position!;
    const pn = ordered[n - 1]!.slice.position!;
    step = [(pn[0] - p0[0]) / (n - 1), (pn[1] - p0[1]) / (n - 1), (pn[2] - p0[2]) / (n - 1)];
    const mean = (ordered[n - 1]!.d - ordered[0]!.d) / (n - 1);
    const tolerance = Math.max(POSITION_TOLERANCE, SPACING_TOLERANCE * mean);
    let low = Infinity;
    let high = -Infinity;
    for (let k = 1; k < n; k++) {
      const gap = ordered[k]!.d - ordered[k - 1]!.d;
      low = Math.min(low, gap);
      high = Math.max(high, gap);
    }
    if (high - mean > tolerance || mean - low > tolerance) {
      return fail(
        `slice spacing varies from ${low.toFixed(3)} to ${high.toFixed(3)} mm (missing slices?)`,
      );
    }
  }

  const rows = first.pixels.rows;
  const p0 = ordered[0]!.slice.position!;
  // Voxel (i, j', k) with j' = rows - 1 - j: P = P0 + i*cs*row + (rows-1-j')*rs*column + k*step.
  const lps = (r: 0 | 1 | 2): [number, number, number, number] => [
    columnSpacing * row[r],
    -rowSpacing * column[r],
    step[r],
    p0[r] + (rows - 1) * rowSpacing * column[r],
  ];
  const ras = (r: 0 | 1 | 2): [number, number, number, number] => {
    const v = lps(r);
    return r === 2 ? v : [-v[0], -v[1], -v[2], -v[3]];
  };

  const slope = first.slope;
  const intercept = first.intercept;
  const applyRescale = slices.some((s) => s.slope !== slope || s.intercept !== intercept);
  const type = applyRescale ? 'float32' : typeOf(first.pixels);
  const identity = slope === 1 && intercept === 0;
  return {
    ok: true,
    plan: {
      slices: ordered.map((o) => o.slice),
      dims: [first.pixels.columns, rows, n],
      spacing: [columnSpacing, rowSpacing, Math.hypot(...step)],
      affine: [ras(0), ras(1), ras(2)],
      type,
      applyRescale,
      // dcm2niix writes scl_slope 1, scl_inter 0 for the identity rather than 0 (no scaling).
      sclSlope: applyRescale ? 1 : identity ? 1 : slope,
      sclInter: applyRescale ? 0 : identity ? 0 : intercept,
    },
  };
}
