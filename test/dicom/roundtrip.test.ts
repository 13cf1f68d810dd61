import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseBuffer } from '../../src/dicom/parse/index.js';
import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
} from '../../src/dicom/transfer-syntax.js';
import { encodePart10 } from '../../src/dicom/write/part10.js';
import { datasetDifferences } from '../helpers/compare.js';
import { corpusPath, readManifest } from '../helpers/corpus.js';

const rows = readManifest().filter((row) => !row.malformed);

function concat(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

describe('round trip: parse, write, parse', () => {
  for (const row of rows) {
    test(row.path, () => {
      const original = readFileSync(corpusPath(row));
      const first = parseBuffer(original);
      const source = first.transferSyntaxUid;

      // 1. In its own transfer syntax, meta preserved: the dataset bytes come back verbatim.
      const same = concat(
        encodePart10(first.meta, first.dataset, {
          sourceTransferSyntaxUid: source,
          meta: 'preserve',
          preamble: first.hasPreamble ? original.subarray(0, 128) : undefined,
        }),
      );
      const again = parseBuffer(same);
      assert.deepEqual(datasetDifferences(first.dataset, again.dataset), []);
      if (!first.inflated) {
        const datasetBytes = original.subarray(first.datasetOffset);
        assert.ok(
          Buffer.compare(same.subarray(again.datasetOffset), datasetBytes) === 0,
          'dataset bytes re-written verbatim',
        );
      }
      if (
        source === EXPLICIT_VR_LITTLE_ENDIAN &&
        first.hasPreamble &&
        !first.warnings.some((w) => /meta/.test(w.message))
      ) {
        assert.ok(Buffer.compare(same, original) === 0, 'explicit VR LE file is byte-identical');
      }

      // 2. Converted to the other little-endian encoding and back: the same data.
      const native = !first.inflated && !readEncapsulated(first.dataset);
      if (native) {
        for (const target of [IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN]) {
          const converted = parseBuffer(
            concat(
              encodePart10(first.meta, first.dataset, {
                sourceTransferSyntaxUid: source,
                transferSyntaxUid: target,
              }),
            ),
          );
          assert.equal(converted.transferSyntaxUid, target);
          const differences = datasetDifferences(first.dataset, converted.dataset, {
            ignoreVR: true,
          });
          assert.deepEqual(differences, [], target);
        }
      }
    });
  }
});

function readEncapsulated(dataset: ReturnType<typeof parseBuffer>['dataset']): boolean {
  return [...dataset.elements.values()].some((e) => e.kind === 'encapsulated');
}

test('most explicit VR LE corpus files are checked byte for byte', () => {
  // Guards the condition above: if the parser stopped recognising preambles or transfer
  // syntaxes, the byte-identity check would silently stop running.
  const checked = rows.filter((row) => {
    const result = parseBuffer(readFileSync(corpusPath(row)));
    return (
      result.transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN &&
      result.hasPreamble &&
      !result.warnings.some((w) => /meta/.test(w.message))
    );
  });
  assert.ok(checked.length >= 90, `only ${checked.length} files checked`);
});
