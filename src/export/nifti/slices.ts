/**
 * The geometry and pixel layout of each slice a DICOM object contributes to a volume: one per
 * file for classic images (Image Plane module, PS3.3 C.7.6.2), one per frame for enhanced
 * multi-frame objects, whose Plane Position, Plane Orientation, Pixel Measures and Pixel Value
 * Transformation functional groups (C.7.6.16.2) say it frame by frame. Pure.
 */
import { makeTag, readNumbers, readStrings, type Dataset, type Tag } from '../../dicom/index.js';
import { describePixels, type PixelDescription } from '../../dicom/pixels/index.js';
import { groupScopes } from '../attributes.js';
import type { Identity } from '../layout.js';
import { readIdentity } from '../layout.js';

const IMAGE_POSITION = makeTag(0x0020, 0x0032);
const IMAGE_ORIENTATION = makeTag(0x0020, 0x0037);
const PIXEL_SPACING = makeTag(0x0028, 0x0030);
const SLICE_THICKNESS = makeTag(0x0018, 0x0050);
const SPACING_BETWEEN_SLICES = makeTag(0x0018, 0x0088);
const RESCALE_INTERCEPT = makeTag(0x0028, 0x1052);
const RESCALE_SLOPE = makeTag(0x0028, 0x1053);
const INSTANCE_NUMBER = makeTag(0x0020, 0x0013);
const IMAGE_TYPE = makeTag(0x0008, 0x0008);
const PLANE_POSITION = makeTag(0x0020, 0x9113);
const PLANE_ORIENTATION = makeTag(0x0020, 0x9116);
const PIXEL_MEASURES = makeTag(0x0028, 0x9110);
const PIXEL_VALUE_TRANSFORMATION = makeTag(0x0028, 0x9145);

export type Vec3 = [number, number, number];

export interface Slice {
  readonly path: string;
  /** 0-based frame of the object. */
  readonly frame: number;
  readonly position: Vec3 | undefined;
  /** Row direction then column direction (Image Orientation (Patient)). */
  readonly orientation: [number, number, number, number, number, number] | undefined;
  /** Pixel Spacing: between rows, then between columns (mm). */
  readonly pixelSpacing: [number, number] | undefined;
  readonly sliceThickness: number | undefined;
  readonly spacingBetweenSlices: number | undefined;
  readonly slope: number;
  readonly intercept: number;
  readonly instanceNumber: number | undefined;
  /** Siemens MOSAIC: many slices tiled in one image (Image Type value 4 or later). */
  readonly mosaic: boolean;
  readonly pixels: PixelDescription;
}

export interface ObjectSlices {
  readonly identity: Identity;
  readonly slices: Slice[];
}

function numbersIn(scopes: readonly Dataset[], tag: Tag): number[] | undefined {
  for (const scope of scopes) {
    const element = scope.get(tag);
    if (element?.kind !== 'value' || element.bytes === undefined) continue;
    try {
      const values = readNumbers(scope, element);
      if (values.length > 0 && values.every(Number.isFinite)) return values;
    } catch {
      // A malformed value is an absent one: the volume check then says what is missing.
    }
  }
  return undefined;
}

function vector<N extends number>(values: number[] | undefined, n: N): number[] | undefined {
  return values !== undefined && values.length >= n ? values.slice(0, n) : undefined;
}

/** The slices of one parsed object (header is enough: Pixel Data need not be loaded). */
export function readSlices(dataset: Dataset, path: string): ObjectSlices {
  const pixels = describePixels(dataset);
  const identity = readIdentity(dataset);
  const imageType = dataset.get(IMAGE_TYPE);
  let mosaic = false;
  if (imageType?.kind === 'value' && imageType.bytes !== undefined) {
    try {
      mosaic = readStrings(dataset, imageType).some((v) => v.trim() === 'MOSAIC');
    } catch {
      mosaic = false;
    }
  }
  const slices: Slice[] = [];
  for (let frame = 0; frame < pixels.frames; frame++) {
    const position = vector(
      numbersIn(groupScopes(dataset, frame, PLANE_POSITION), IMAGE_POSITION),
      3,
    );
    const orientation = vector(
      numbersIn(groupScopes(dataset, frame, PLANE_ORIENTATION), IMAGE_ORIENTATION),
      6,
    );
    const measures = groupScopes(dataset, frame, PIXEL_MEASURES);
    const transform = groupScopes(dataset, frame, PIXEL_VALUE_TRANSFORMATION);
    const slope = numbersIn(transform, RESCALE_SLOPE)?.[0];
    slices.push({
      path,
      frame,
      position: position as Vec3 | undefined,
      orientation: orientation as Slice['orientation'],
      pixelSpacing: vector(numbersIn(measures, PIXEL_SPACING), 2) as [number, number] | undefined,
      sliceThickness: numbersIn(measures, SLICE_THICKNESS)?.[0],
      spacingBetweenSlices: numbersIn(measures, SPACING_BETWEEN_SLICES)?.[0],
      // A zero slope is an encoding error (C.11.1): the identity, as render.ts does.
      slope: slope === undefined || slope === 0 ? 1 : slope,
      intercept: numbersIn(transform, RESCALE_INTERCEPT)?.[0] ?? 0,
      instanceNumber: numbersIn([dataset], INSTANCE_NUMBER)?.[0],
      mosaic,
      pixels: { ...pixels, frames: 1 },
    });
  }
  return { identity, slices };
}
