/**
 * The NIfTI-1 header (nifti1.h, NIfTI-1 Data Format, 2004): 348 bytes, little endian, then a
 * 4-byte extension flag (zero: no extension), so the voxels start at byte 352 of the `.nii` file.
 * qform and sform both hold the voxel-to-scanner (RAS+, mm) transform, with code 1
 * (NIFTI_XFORM_SCANNER_ANAT), as dcm2niix writes them. Pure.
 */

/** NIfTI-1 datatype codes (nifti1.h DT_*) with their bits per voxel. */
export const NIFTI_TYPES = {
  uint8: { code: 2, bits: 8 },
  int16: { code: 4, bits: 16 },
  int32: { code: 8, bits: 32 },
  float32: { code: 16, bits: 32 },
  float64: { code: 64, bits: 64 },
  int8: { code: 256, bits: 8 },
  uint16: { code: 512, bits: 16 },
  uint32: { code: 768, bits: 32 },
} as const;

export type NiftiType = keyof typeof NIFTI_TYPES;

/** A 4x4 affine as rows (the last row is 0 0 0 1). */
export type Affine = readonly [
  readonly [number, number, number, number],
  readonly [number, number, number, number],
  readonly [number, number, number, number],
];

export interface NiftiHeader {
  /** Voxels along i (fastest), j, k. */
  readonly dims: readonly [number, number, number];
  readonly type: NiftiType;
  /** Voxel sizes in mm along i, j, k. */
  readonly spacing: readonly [number, number, number];
  /** Voxel (i, j, k) to RAS+ millimetres. */
  readonly affine: Affine;
  /** Stored value to real value: real = slope * stored + intercept (slope 0: none). */
  readonly sclSlope: number;
  readonly sclInter: number;
  /** At most 79 ASCII characters; never patient data. */
  readonly description: string;
}

export const HEADER_SIZE = 348;
export const VOX_OFFSET = 352;

/** The 352 bytes that precede the voxels of a single-file NIfTI-1 (`.nii`). */
export function encodeNiftiHeader(header: NiftiHeader): Uint8Array {
  const bytes = new Uint8Array(VOX_OFFSET);
  const view = new DataView(bytes.buffer);
  const { code, bits } = NIFTI_TYPES[header.type];
  view.setInt32(0, HEADER_SIZE, true); // sizeof_hdr
  bytes[38] = 0x72; // regular = 'r'
  const dims = [3, header.dims[0], header.dims[1], header.dims[2], 1, 1, 1, 1];
  dims.forEach((d, i) => view.setInt16(40 + 2 * i, d, true));
  view.setInt16(70, code, true); // datatype
  view.setInt16(72, bits, true); // bitpix
  const { qfac, quaternion, offset } = quaternionOf(header.affine);
  const pixdim = [qfac, header.spacing[0], header.spacing[1], header.spacing[2], 0, 0, 0, 0];
  pixdim.forEach((p, i) => view.setFloat32(76 + 4 * i, p, true));
  view.setFloat32(108, VOX_OFFSET, true); // vox_offset
  view.setFloat32(112, header.sclSlope, true);
  view.setFloat32(116, header.sclInter, true);
  bytes[123] = 2; // xyzt_units: NIFTI_UNITS_MM
  const description = header.description.replace(/[^\x20-\x7e]/g, '?').slice(0, 79);
  for (let i = 0; i < description.length; i++) bytes[148 + i] = description.charCodeAt(i);
  view.setInt16(252, 1, true); // qform_code: NIFTI_XFORM_SCANNER_ANAT
  view.setInt16(254, 1, true); // sform_code
  view.setFloat32(256, quaternion[0], true);
  view.setFloat32(260, quaternion[1], true);
  view.setFloat32(264, quaternion[2], true);
  view.setFloat32(268, offset[0], true);
  view.setFloat32(272, offset[1], true);
  view.setFloat32(276, offset[2], true);
  header.affine.forEach((row, r) =>
    row.forEach((v, c) => view.setFloat32(280 + 16 * r + 4 * c, v, true)),
  );
  bytes.set([0x6e, 0x2b, 0x31, 0x00], 344); // magic "n+1\0"
  return bytes;
}

/**
 * The quaternion form of an affine (nifti1.h "Method 2"): the rotation of its normalised columns
 * as (b, c, d) with a >= 0, qfac -1 when the columns make a left-handed basis (the third one is
 * negated first), and the offset. Follows nifti_mat44_to_quatern of nifti1_io.c.
 */
export function quaternionOf(affine: Affine): {
  qfac: 1 | -1;
  quaternion: [number, number, number];
  offset: [number, number, number];
} {
  const column = (c: 0 | 1 | 2): [number, number, number] => {
    const v: [number, number, number] = [affine[0][c], affine[1][c], affine[2][c]];
    const norm = Math.hypot(...v) || 1;
    return [v[0] / norm, v[1] / norm, v[2] / norm];
  };
  const x = column(0);
  const y = column(1);
  let z = column(2);
  const det =
    x[0] * (y[1] * z[2] - y[2] * z[1]) -
    y[0] * (x[1] * z[2] - x[2] * z[1]) +
    z[0] * (x[1] * y[2] - x[2] * y[1]);
  const qfac = det < 0 ? -1 : 1;
  if (qfac === -1) z = [-z[0], -z[1], -z[2]];
  // r[row][col] with columns x, y, z.
  const r11 = x[0],
    r12 = y[0],
    r13 = z[0];
  const r21 = x[1],
    r22 = y[1],
    r23 = z[1];
  const r31 = x[2],
    r32 = y[2],
    r33 = z[2];
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return {
    qfac,
    quaternion: [b, c, d],
    offset: [affine[0][3], affine[1][3], affine[2][3]],
  };
}
