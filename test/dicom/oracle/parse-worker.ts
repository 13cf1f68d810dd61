// A worker thread that parses a file and reads every value (leniently when the strict reader
// refuses one), so the test can bound the time and memory a malformed file costs and tell a typed
// error (DicomError) from a crash. Started by parse-in-worker.ts.
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { DicomError } from '../../../src/dicom/errors.js';
import { parseBuffer } from '../../../src/dicom/parse/index.js';
import { normalizeDataset } from './normalize.js';
import type { ParseOutcome, ParseRequest } from './parse-in-worker.js';

function outcomeOf(path: string): ParseOutcome {
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  try {
    const result = parseBuffer(readFileSync(path));
    const elements = normalizeDataset(result.meta).length + normalizeDataset(result.dataset).length;
    return { kind: 'parsed', ms: ms(), elements, warnings: result.warnings.length };
  } catch (error) {
    if (error instanceof DicomError) {
      return { kind: 'dicom-error', ms: ms(), code: error.code, message: error.message };
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { kind: 'crash', ms: ms(), message };
  }
}

parentPort?.on('message', (request: ParseRequest) => {
  parentPort?.postMessage({ id: request.id, outcome: outcomeOf(request.path) });
});
