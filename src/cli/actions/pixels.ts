import { writeFile } from 'node:fs/promises';
import { DicomError } from '../../dicom/errors.js';
import { openPixelData, PixelError, type PixelDescription } from '../../dicom/pixels/index.js';
import { loadCodecs } from '../../io/codecs.js';
import { readDicomFile } from '../../io/dicom-file.js';

/** Decodes one file; on failure one line on stderr naming the file and why, and exit code 2. */
export async function pixels(file: string, out: string): Promise<number> {
  let bytes: Uint8Array;
  let layout: PixelDescription;
  try {
    const [result, codecs] = await Promise.all([readDicomFile(file), loadCodecs()]);
    const source = openPixelData(result, { codecs });
    bytes = source.all();
    layout = source.decoded;
  } catch (error) {
    process.stderr.write(`niffler pixels: ${file}: ${describe(error)}\n`);
    return 2;
  }
  try {
    await writeFile(out, bytes);
  } catch (error) {
    process.stderr.write(`niffler pixels: ${out}: ${describe(error)}\n`);
    return 2;
  }
  process.stdout.write(`${file}: ${summary(layout)}, ${bytes.length} bytes -> ${out}\n`);
  return 0;
}

function summary(d: PixelDescription): string {
  const planar = d.samplesPerPixel > 1 ? ` planar ${d.planarConfiguration}` : '';
  const sign = d.pixelRepresentation === 1 ? 'signed' : 'unsigned';
  return (
    `${d.frames} frame(s) ${d.rows}x${d.columns}x${d.samplesPerPixel} ` +
    `${d.bitsAllocated}-bit ${d.kind === 'integer' ? sign : d.kind} ` +
    `${d.photometricInterpretation}${planar}`
  );
}

function describe(error: unknown): string {
  if (error instanceof PixelError || error instanceof DicomError) {
    return `${error.message.replace(/\s+/g, ' ').trim()} [${error.code}]`;
  }
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    // File system errors: ENOENT, EACCES, EISDIR...
    return `${error.code}: ${error.message.replace(/^[A-Z]+: /, '')}`;
  }
  return error instanceof Error ? error.message.replace(/\s+/g, ' ').trim() : String(error);
}
