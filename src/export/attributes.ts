/**
 * The attributes that turn stored pixel values into a displayed image, read for one frame: the
 * Modality LUT module (rescale or LUT, PS3.3 C.11.1), the VOI LUT module (window or LUT,
 * C.11.2) and the palette (C.7.6.3.1.5). Enhanced objects keep the first two in functional
 * groups (C.7.6.16): the per-frame item first, then the shared one, then the top level. Pure.
 */
import {
  makeTag,
  readNumbers,
  readStrings,
  type Dataset,
  type Element,
  type Tag,
} from '../dicom/index.js';
import { readDescriptor, readLut, readSegmentedLut, type Lut } from './lut.js';

const PHOTOMETRIC_INTERPRETATION = makeTag(0x0028, 0x0004);
const PIXEL_REPRESENTATION = makeTag(0x0028, 0x0103);
const SAMPLES_PER_PIXEL = makeTag(0x0028, 0x0002);
const RESCALE_INTERCEPT = makeTag(0x0028, 0x1052);
const RESCALE_SLOPE = makeTag(0x0028, 0x1053);
const MODALITY_LUT_SEQUENCE = makeTag(0x0028, 0x3000);
const LUT_DESCRIPTOR = makeTag(0x0028, 0x3002);
const LUT_DATA = makeTag(0x0028, 0x3006);
const WINDOW_CENTER = makeTag(0x0028, 0x1050);
const WINDOW_WIDTH = makeTag(0x0028, 0x1051);
const VOI_LUT_FUNCTION = makeTag(0x0028, 0x1056);
const VOI_LUT_SEQUENCE = makeTag(0x0028, 0x3010);
const PALETTE_DESCRIPTORS = [0x1101, 0x1102, 0x1103].map((e) => makeTag(0x0028, e));
const PALETTE_DATA = [0x1201, 0x1202, 0x1203].map((e) => makeTag(0x0028, e));
const SEGMENTED_PALETTE_DATA = [0x1221, 0x1222, 0x1223].map((e) => makeTag(0x0028, e));
const SHARED_FUNCTIONAL_GROUPS = makeTag(0x5200, 0x9229);
const PER_FRAME_FUNCTIONAL_GROUPS = makeTag(0x5200, 0x9230);
const PIXEL_VALUE_TRANSFORMATION = makeTag(0x0028, 0x9145);
const FRAME_VOI_LUT = makeTag(0x0028, 0x9132);

/** Stored value to modality value (PS3.3 C.11.1): `slope * v + intercept`, or a table. */
export type ModalityTransform =
  | { readonly kind: 'rescale'; readonly slope: number; readonly intercept: number }
  | { readonly kind: 'lut'; readonly lut: Lut };

/** VOI LUT Function (C.11.2.1.3); LINEAR when absent or unknown. */
export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface VoiWindow {
  readonly center: number;
  readonly width: number;
  readonly fn: VoiFunction;
}

export interface Palette {
  readonly red: Lut;
  readonly green: Lut;
  readonly blue: Lut;
}

export interface RenderAttributes {
  /** Photometric Interpretation as encoded (the decoder may have changed it: see render). */
  readonly photometric: string;
  /** Undefined: the identity (no rescale and no Modality LUT, or a colour image). */
  readonly modality: ModalityTransform | undefined;
  /** The first window the object gives for the frame. */
  readonly window: VoiWindow | undefined;
  /** The first VOI LUT the object gives. */
  readonly voiLut: Lut | undefined;
  /** Present for PALETTE COLOR. */
  readonly palette: Palette | undefined;
}

function firstItem(dataset: Dataset | undefined, tag: Tag, index = 0): Dataset | undefined {
  const element = dataset?.get(tag);
  return element?.kind === 'sequence' ? element.items[index]?.dataset : undefined;
}

/** Where a functional group's attributes are for a frame: per-frame item, shared item, top level. */
export function groupScopes(dataset: Dataset, frame: number, group: Tag): Dataset[] {
  const scopes: Dataset[] = [];
  const perFrame = firstItem(firstItem(dataset, PER_FRAME_FUNCTIONAL_GROUPS, frame), group);
  const shared = firstItem(firstItem(dataset, SHARED_FUNCTIONAL_GROUPS), group);
  if (perFrame !== undefined) scopes.push(perFrame);
  if (shared !== undefined) scopes.push(shared);
  scopes.push(dataset);
  return scopes;
}

function numbers(dataset: Dataset, element: Element | undefined): number[] | undefined {
  if (element?.kind !== 'value' || element.bytes === undefined) return undefined;
  try {
    return readNumbers(dataset, element);
  } catch {
    return undefined;
  }
}

function text(dataset: Dataset, tag: Tag): string | undefined {
  const element = dataset.get(tag);
  if (element?.kind !== 'value' || element.bytes === undefined) return undefined;
  try {
    const value = readStrings(dataset, element)[0]?.trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

function firstNumber(scopes: readonly Dataset[], tag: Tag): number | undefined {
  for (const scope of scopes) {
    const value = numbers(scope, scope.get(tag))?.[0];
    if (value !== undefined && Number.isFinite(value)) return value;
  }
  return undefined;
}

function modalityTransform(
  dataset: Dataset,
  frame: number,
  signed: boolean,
): ModalityTransform | undefined {
  // Rescale and the Modality LUT Sequence exclude each other (C.11.1); when a file has both,
  // the table wins, as in DCMTK.
  const item = firstItem(dataset, MODALITY_LUT_SEQUENCE);
  const descriptor = item && readDescriptor(item, item.get(LUT_DESCRIPTOR), signed);
  const lut = item && descriptor && readLut(item, descriptor, item.get(LUT_DATA));
  if (lut !== undefined) return { kind: 'lut', lut };
  const scopes = groupScopes(dataset, frame, PIXEL_VALUE_TRANSFORMATION);
  const slope = firstNumber(scopes, RESCALE_SLOPE);
  const intercept = firstNumber(scopes, RESCALE_INTERCEPT);
  // A zero slope is an encoding error; viewers (DCMTK included) ignore the rescale then.
  if (slope === undefined || slope === 0) return undefined;
  const b = intercept ?? 0;
  return slope === 1 && b === 0 ? undefined : { kind: 'rescale', slope, intercept: b };
}

function voiFunction(value: string | undefined): VoiFunction {
  return value === 'LINEAR_EXACT' || value === 'SIGMOID' ? value : 'LINEAR';
}

function voiWindow(dataset: Dataset, frame: number): VoiWindow | undefined {
  for (const scope of groupScopes(dataset, frame, FRAME_VOI_LUT)) {
    const center = numbers(scope, scope.get(WINDOW_CENTER))?.[0];
    const width = numbers(scope, scope.get(WINDOW_WIDTH))?.[0];
    if (center === undefined || width === undefined) continue;
    const fn = voiFunction(text(scope, VOI_LUT_FUNCTION));
    // Width must be >= 1 (> 0 for LINEAR_EXACT), C.11.2.1.2; skip a window that breaks it.
    if (!Number.isFinite(center) || !(width >= (fn === 'LINEAR_EXACT' ? Number.MIN_VALUE : 1))) {
      continue;
    }
    return { center, width, fn };
  }
  return undefined;
}

function voiLut(dataset: Dataset, signed: boolean): Lut | undefined {
  const item = firstItem(dataset, VOI_LUT_SEQUENCE);
  if (item === undefined) return undefined;
  const descriptor = readDescriptor(item, item.get(LUT_DESCRIPTOR), signed);
  return descriptor === undefined ? undefined : readLut(item, descriptor, item.get(LUT_DATA));
}

function palette(dataset: Dataset, signed: boolean): Palette | undefined {
  const luts = PALETTE_DESCRIPTORS.map((tag, i) => {
    const descriptor = readDescriptor(dataset, dataset.get(tag), signed);
    if (descriptor === undefined) return undefined;
    return (
      readLut(dataset, descriptor, dataset.get(PALETTE_DATA[i]!)) ??
      readSegmentedLut(dataset, descriptor, dataset.get(SEGMENTED_PALETTE_DATA[i]!))
    );
  });
  const [red, green, blue] = luts;
  if (red === undefined || green === undefined || blue === undefined) return undefined;
  return { red, green, blue };
}

/** The rendering attributes of one frame (0-based) of an object. */
export function renderAttributes(dataset: Dataset, frame = 0): RenderAttributes {
  const photometric = text(dataset, PHOTOMETRIC_INTERPRETATION) ?? 'MONOCHROME2';
  const signed = numbers(dataset, dataset.get(PIXEL_REPRESENTATION))?.[0] === 1;
  const samples = numbers(dataset, dataset.get(SAMPLES_PER_PIXEL))?.[0] ?? 1;
  const grey = samples === 1 && photometric !== 'PALETTE COLOR';
  return {
    photometric,
    modality: grey ? modalityTransform(dataset, frame, signed) : undefined,
    window: grey ? voiWindow(dataset, frame) : undefined,
    voiLut: grey ? voiLut(dataset, signed) : undefined,
    palette: photometric === 'PALETTE COLOR' ? palette(dataset, signed) : undefined,
  };
}
