// Fuzzing the PDU decoder with a seeded PRNG: golden PDUs mutated, truncated, spliced, given huge
// lengths, and random bytes. The decoder may answer only "need more", a PDU or a PduError; a PDU
// it returns must re-encode and decode to itself; memory stays bounded by the limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodePdu,
  encodePduBytes,
  PduDecoder,
  PduError,
  type Pdu,
} from '../../src/net/pdu/index.js';
import { GOLDEN_NAMES, golden } from './golden.js';

/** mulberry32: small, seeded, good enough to spread mutations. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_PDU_LENGTH = 16384;
const MAX_ASSOCIATION_PDU_LENGTH = 262144;

interface Outcome {
  pdus: number;
  errors: Map<string, number>;
  needMore: number;
}

/**
 * Feeds `input` in random chunks; every PDU returned must survive encode -> decode unchanged.
 * Anything thrown that is not a PduError fails the test.
 */
function feed(bytes: Uint8Array, random: () => number, outcome: Outcome): void {
  const input = new Uint8Array(bytes); // a plain Uint8Array, not a Buffer, for deepEqual
  const decoder = new PduDecoder({
    maxPduLength: MAX_PDU_LENGTH,
    maxAssociationPduLength: MAX_ASSOCIATION_PDU_LENGTH,
  });
  try {
    for (let at = 0; at < input.length;) {
      const size = 1 + Math.floor(random() * Math.min(4096, input.length - at));
      decoder.push(input.slice(at, at + size));
      at += size;
      // The decoder never holds more than one PDU (bounded by the limits) plus the last chunk.
      assert.ok(
        decoder.bufferedLength <= 6 + MAX_ASSOCIATION_PDU_LENGTH + 4096,
        'expected decoder.bufferedLength <= 6 + MAX_ASSOCIATION_PDU_LENGTH + 4096',
      );
      for (let pdu = decoder.next(); pdu !== undefined; pdu = decoder.next()) {
        outcome.pdus++;
        checkRoundTrip(pdu);
      }
    }
    if (decoder.bufferedLength > 0) outcome.needMore++;
  } catch (error) {
    if (!(error instanceof PduError)) throw error;
    outcome.errors.set(error.code, (outcome.errors.get(error.code) ?? 0) + 1);
  }
}

function checkRoundTrip(pdu: Pdu): void {
  const again = decodePdu(encodePduBytes(pdu));
  assert.deepEqual(again, pdu);
}

function mutate(source: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(random() * n);
  const out = source.slice();
  switch (pick(7)) {
    case 0: {
      // Flip a few bytes anywhere.
      const flips = 1 + pick(8);
      for (let i = 0; i < flips; i++) out[pick(out.length)] = pick(256);
      return out;
    }
    case 1:
      // Truncate.
      return out.subarray(0, pick(out.length));
    case 2: {
      // Overwrite a 16- or 32-bit field with an extreme length.
      const view = new DataView(out.buffer);
      const at = pick(Math.max(1, out.length - 4));
      const value = [0, 1, 2, 0xffff, 0xfffe, 0xffffffff, 0x7fffffff, out.length][pick(8)] ?? 0;
      if (random() < 0.5) view.setUint16(at, value & 0xffff);
      else view.setUint32(at, value >>> 0);
      return out;
    }
    case 3: {
      // Delete or duplicate a slice (lengths no longer agree with contents).
      const from = pick(out.length);
      const to = from + pick(Math.min(64, out.length - from) + 1);
      return random() < 0.5
        ? Buffer.concat([out.subarray(0, from), out.subarray(to)])
        : Buffer.concat([out.subarray(0, to), out.subarray(from)]);
    }
    case 4: {
      // Fix up the PDU-length after flipping bytes, so the body parser is what is tested.
      out[6 + pick(Math.max(1, out.length - 6))] = pick(256);
      if (out.length >= 6) new DataView(out.buffer).setUint32(2, out.length - 6);
      return out;
    }
    case 5:
      // Another PDU type byte for a valid body.
      out[0] = 1 + pick(8);
      return out;
    default: {
      // Random bytes after a plausible header.
      const length = pick(600);
      const junk = Uint8Array.from({ length: 6 + length }, () => pick(256));
      junk[0] = 1 + pick(7);
      new DataView(junk.buffer).setUint32(2, random() < 0.8 ? length : pick(2 ** 32));
      return junk;
    }
  }
}

describe('PduDecoder fuzz', () => {
  it('answers every mutated or random input with a PDU, "need more" or a PduError (< 5 s)', () => {
    const random = prng(0x5eed);
    const sources = GOLDEN_NAMES.filter(
      (name) => name !== 'echoscu-128-contexts-a-associate-rq',
    ).map((name) => golden(name));
    const outcome: Outcome = { pdus: 0, errors: new Map(), needMore: 0 };
    const started = performance.now();
    const cases = 4000;
    for (let i = 0; i < cases; i++) {
      const source = sources[i % sources.length] ?? new Uint8Array(0);
      const input =
        i % 10 === 9
          ? Uint8Array.from({ length: Math.floor(random() * 300) }, () =>
              Math.floor(random() * 256),
            )
          : mutate(source, random);
      feed(input, random, outcome);
    }
    // The large golden request, truncated and mutated a few times.
    const large = golden('echoscu-128-contexts-a-associate-rq');
    for (let i = 0; i < 20; i++) feed(mutate(large, random), random, outcome);
    const elapsed = performance.now() - started;

    assert.ok(elapsed < 5000, `took ${Math.round(elapsed)} ms`);
    // The mix reaches every outcome, so the assertions above were exercised.
    assert.ok(outcome.pdus > 100, `only ${outcome.pdus} PDUs decoded`);
    assert.ok(outcome.needMore > 100, `only ${outcome.needMore} incomplete inputs`);
    for (const code of ['PDU_TOO_LARGE', 'UNKNOWN_PDU_TYPE', 'MALFORMED_PDU']) {
      assert.ok((outcome.errors.get(code) ?? 0) > 10, `${code}: ${outcome.errors.get(code) ?? 0}`);
    }
  });

  it('rejects a header declaring up to 4 GiB without allocating for it', () => {
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 2000; i++) {
      for (const type of [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]) {
        const decoder = new PduDecoder({ maxPduLength: MAX_PDU_LENGTH });
        assert.throws(
          () => decoder.push(Uint8Array.of(type, 0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3)),
          (error: unknown) => error instanceof PduError && error.code === 'PDU_TOO_LARGE',
        );
        assert.equal(decoder.bufferedLength, 0);
      }
    }
    // 14 000 refusals of a 4 GiB PDU: nothing near even one of them was allocated.
    assert.ok(
      process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024,
      'expected process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024',
    );
  });

  it('decodes a maximum-size P-DATA-TF pushed a byte at a time in linear time', () => {
    const data = new Uint8Array(MAX_PDU_LENGTH - 6).fill(0x42);
    const pdu = encodePduBytes({
      type: 'P-DATA-TF',
      pdvs: [{ presentationContextId: 1, command: false, last: true, data }],
    });
    const decoder = new PduDecoder({ maxPduLength: MAX_PDU_LENGTH });
    const started = performance.now();
    let result: Pdu | undefined;
    for (let i = 0; i < pdu.length; i++) {
      decoder.push(pdu.subarray(i, i + 1));
      result = decoder.next() ?? result;
    }
    assert.ok(performance.now() - started < 1000, 'expected performance.now() - started < 1000');
    assert.equal(result?.type === 'P-DATA-TF' && result.pdvs[0]?.data.length, data.length);
  });
});
