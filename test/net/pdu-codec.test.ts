// The PDU codec beyond the golden bytes: every item type, the error codes, the framing limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aeTitleProblem,
  decodeAeTitle,
  decodePdu,
  encodeAeTitle,
  encodePdu,
  encodePduBytes,
  PduDecoder,
  PduError,
  REJECT_REASON_CODES,
  type AAssociateAc,
  type AAssociateRq,
  type Pdu,
  type PduErrorCode,
} from '../../src/net/pdu/index.js';
import { golden, hex } from './golden.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (value: string): Uint8Array => new TextEncoder().encode(value);

function throwsPdu(fn: () => unknown, code: PduErrorCode): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PduError, `expected a PduError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/** A request with every user information sub-item and an unknown item. */
const FULL_RQ: AAssociateRq = {
  type: 'A-ASSOCIATE-RQ',
  protocolVersion: 1,
  calledAeTitle: 'ORTHANC',
  callingAeTitle: 'NIFFLER',
  applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    {
      id: 1,
      abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.3',
      transferSyntaxes: ['1.2.840.10008.1.2'],
    },
    {
      id: 3,
      abstractSyntax: '1.2.840.10008.5.1.4.1.1.2',
      transferSyntaxes: [
        '1.2.840.10008.1.2.4.201',
        '1.2.840.10008.1.2.4.90',
        '1.2.840.10008.1.2.1',
      ],
    },
  ],
  userInformation: {
    maxLength: 65536,
    implementationClassUid: '2.25.1234',
    asyncOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 0 },
    roleSelections: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', scu: false, scp: true }],
    implementationVersionName: 'NIFFLER_0_1',
    extendedNegotiations: [
      { sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1', applicationInformation: bytes(1, 1, 0) },
    ],
    commonExtendedNegotiations: [
      {
        sopClassUid: '1.2.840.10008.5.1.4.1.1.2.1',
        serviceClassUid: '1.2.840.10008.4.2',
        relatedGeneralSopClassUids: ['1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.4'],
      },
    ],
    userIdentity: {
      identityType: 'json-web-token',
      positiveResponseRequested: true,
      primaryField: text('eyJhbGciOi.payload.sig'),
      secondaryField: new Uint8Array(0),
    },
    unknownItems: [{ itemType: 0x60, data: bytes(9, 8, 7) }],
  },
  unknownItems: [{ itemType: 0x70, data: bytes(1, 2) }],
};

const FULL_AC: AAssociateAc = {
  type: 'A-ASSOCIATE-AC',
  protocolVersion: 1,
  calledAeTitle: 'ORTHANC',
  callingAeTitle: 'NIFFLER',
  applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, result: 'abstract-syntax-not-supported', transferSyntax: '1.2.840.10008.1.2' },
    { id: 3, result: 'acceptance', transferSyntax: '1.2.840.10008.1.2.4.201' },
    { id: 5, result: 7, transferSyntax: '' },
  ],
  userInformation: {
    maxLength: 0,
    implementationClassUid: '2.25.5678',
    asyncOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
    roleSelections: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', scu: false, scp: true }],
    userIdentityResponse: { serverResponse: text('ticket') },
  },
};

describe('PDU encode/decode', () => {
  it('round-trips a request with every user information sub-item and unknown items', () => {
    assert.deepEqual(decodePdu(encodePduBytes(FULL_RQ)), FULL_RQ);
  });

  it('round-trips an answer with rejected contexts, an unnamed result code and a user identity response', () => {
    assert.deepEqual(decodePdu(encodePduBytes(FULL_AC)), FULL_AC);
  });

  it('round-trips every named A-ASSOCIATE-RJ reason of every source, and A-ABORT', () => {
    for (const [source, reasons] of Object.entries(REJECT_REASON_CODES)) {
      for (const reason of Object.keys(reasons)) {
        const rj = { type: 'A-ASSOCIATE-RJ', result: 'rejected-transient', source, reason } as Pdu;
        assert.deepEqual(decodePdu(encodePduBytes(rj)), rj);
      }
    }
    const abort: Pdu = { type: 'A-ABORT', source: 'service-provider', reason: 'unexpected-pdu' };
    assert.equal(hex(encodePduBytes(abort)), '07000000000400000202');
    assert.deepEqual(decodePdu(encodePduBytes(abort)), abort);
  });

  it('keeps codes the standard does not name as numbers', () => {
    const rj = decodePdu(bytes(0x03, 0, 0, 0, 0, 4, 0, 9, 1, 5));
    assert.deepEqual(rj, { type: 'A-ASSOCIATE-RJ', result: 9, source: 'service-user', reason: 5 });
    assert.equal(hex(encodePduBytes(rj)), '03000000000400090105');
  });

  it('encodes a P-DATA-TF as parts that refer to the PDV data', () => {
    const a = text('command bytes');
    const b = new Uint8Array(1000).fill(7);
    const pdu: Pdu = {
      type: 'P-DATA-TF',
      pdvs: [
        { presentationContextId: 3, command: true, last: true, data: a },
        { presentationContextId: 3, command: false, last: false, data: b },
      ],
    };
    const parts = encodePdu(pdu);
    assert.ok(parts.includes(a) && parts.includes(b), 'data are not copied');
    const whole = encodePduBytes(pdu);
    assert.equal(whole.length, 6 + 6 + a.length + 6 + b.length);
    // PDU-length 1025 = (6 + 13) + (6 + 1000); first PDV: length 15, context 3, command + last.
    assert.equal(hex(whole.subarray(0, 12)), '0400000004010000000f0303');
    assert.deepEqual(decodePdu(whole), pdu);
  });

  it('ignores reserved fields and reserved bits on receipt (PS3.8 9.3.1)', () => {
    const original = golden('echoscu-a-associate-rq');
    const noisy = original.slice();
    noisy[1] = 0xaa; // reserved after PDU type
    noisy[8] = 0xbb; // reserved after protocol version
    noisy[9] = 0xcc;
    noisy.fill(0xdd, 42, 74); // 32 reserved bytes
    noisy[75] = 0xee; // reserved byte of the application context item
    assert.deepEqual(decodePdu(noisy), decodePdu(original));

    const pdata = golden('echoscu-p-data-tf-c-echo-rq').slice();
    pdata[11] = (pdata[11] ?? 0) | 0xfc; // reserved bits of the message control header
    const pdv = decodePdu(pdata);
    assert.equal(pdv.type === 'P-DATA-TF' && pdv.pdvs[0]?.command && pdv.pdvs[0].last, true);
  });

  it('trims UIDs of trailing NUL or space and AE titles of padding', () => {
    const rq: AAssociateRq = { ...FULL_RQ, unknownItems: [] };
    const encoded = encodePduBytes({
      ...rq,
      applicationContext: '1.2.840.10008.3.1.1.1\0',
      presentationContexts: [
        { id: 1, abstractSyntax: '1.2.840.10008.1.1 ', transferSyntaxes: ['1.2.840.10008.1.2\0'] },
      ],
    });
    const decoded = decodePdu(encoded);
    assert.equal(decoded.type, 'A-ASSOCIATE-RQ');
    assert.equal(decoded.applicationContext, '1.2.840.10008.3.1.1.1');
    assert.deepEqual(decoded.presentationContexts, [
      { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
    ]);
    assert.equal(decodeAeTitle(text('  STORE SCP \0\0\0\0\0')), 'STORE SCP');
    assert.equal(hex(encodeAeTitle('ABC') ?? new Uint8Array()), '41424320202020202020202020202020');
    assert.equal(encodeAeTitle('SEVENTEEN_CHARS_X'), undefined);
  });

  it('validates AE titles as PS3.5 does', () => {
    assert.equal(aeTitleProblem('NIFFLER'), undefined);
    assert.equal(aeTitleProblem('A B'), undefined);
    assert.match(aeTitleProblem('') ?? '', /empty/);
    assert.match(aeTitleProblem('    ') ?? '', /only of spaces/);
    assert.match(aeTitleProblem('SEVENTEEN_CHARS_X') ?? '', /17 characters/);
    assert.match(aeTitleProblem('BACK\\SLASH') ?? '', /backslash/);
    assert.match(aeTitleProblem('TAB\tX') ?? '', /not a printable/);
    assert.match(aeTitleProblem('ÉCOLE') ?? '', /not a printable/);
  });

  it('refuses to encode what the wire cannot carry', () => {
    throwsPdu(
      () => encodePdu({ ...FULL_RQ, callingAeTitle: 'SEVENTEEN_CHARS_X' }),
      'NOT_ENCODABLE',
    );
    throwsPdu(
      () =>
        encodePdu({
          type: 'A-ASSOCIATE-RJ',
          result: 'rejected-permanent',
          source: 'service-provider-acse',
          reason: 'called-ae-title-not-recognized',
        }),
      'NOT_ENCODABLE',
    );
    throwsPdu(() => encodePdu({ type: 'P-DATA-TF', pdvs: [] }), 'NOT_ENCODABLE');
    throwsPdu(
      () =>
        encodePdu({
          ...FULL_RQ,
          presentationContexts: [
            { id: 1, abstractSyntax: '1.2', transferSyntaxes: ['x'.repeat(70000)] },
          ],
        }),
      'NOT_ENCODABLE',
    );
    throwsPdu(() => encodePdu({ ...FULL_RQ, applicationContext: '1.2.€' }), 'NOT_ENCODABLE');
  });

  it('reports malformed PDUs with their offset', () => {
    // An item whose length runs past the PDU.
    const rq = golden('echoscu-a-associate-rq').slice();
    new DataView(rq.buffer).setUint16(76, 0x4000);
    throwsPdu(() => decodePdu(rq), 'MALFORMED_PDU');
    try {
      decodePdu(rq);
    } catch (error) {
      assert.ok(
        error instanceof PduError && error.offset !== undefined && error.pduType === 1,
        'expected error instanceof PduError && error.offset !== undefined && error.pduType === 1',
      );
    }
    // A release request with a variable field of 5 bytes instead of 4.
    throwsPdu(() => decodePdu(bytes(0x05, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0)), 'MALFORMED_PDU');
    // A PDV item shorter than its 2-byte header.
    throwsPdu(() => decodePdu(bytes(0x04, 0, 0, 0, 0, 5, 0, 0, 0, 1, 1)), 'MALFORMED_PDU');
    // A P-DATA-TF without PDV items.
    throwsPdu(() => decodePdu(bytes(0x04, 0, 0, 0, 0, 0)), 'MALFORMED_PDU');
    // An A-ASSOCIATE-RQ without an application context item.
    const noContext = encodePduBytes({ ...FULL_RQ, unknownItems: [] }).slice();
    noContext[74] = 0x71;
    throwsPdu(() => decodePdu(noContext), 'MALFORMED_PDU');
    // A PDU-length that disagrees with the bytes given.
    throwsPdu(() => decodePdu(bytes(0x06, 0, 0, 0, 0, 4, 0, 0, 0)), 'MALFORMED_PDU');
    throwsPdu(() => decodePdu(bytes(0x08, 0, 0, 0, 0, 0)), 'UNKNOWN_PDU_TYPE');
  });
});

describe('PduDecoder', () => {
  it('answers "need more" until a PDU is whole, then returns it', () => {
    const pdu = golden('storescp-a-associate-ac');
    const decoder = new PduDecoder();
    for (let i = 0; i < pdu.length - 1; i++) {
      decoder.push(pdu.subarray(i, i + 1));
      assert.equal(decoder.next(), undefined);
    }
    decoder.push(pdu.subarray(pdu.length - 1));
    assert.equal(decoder.next()?.type, 'A-ASSOCIATE-AC');
    assert.equal(decoder.next(), undefined);
    assert.equal(decoder.bufferedLength, 0);
    decoder.end();
  });

  it('returns several PDUs pushed in one chunk, in order', () => {
    const decoder = new PduDecoder();
    decoder.push(
      Buffer.concat([
        golden('echoscu-p-data-tf-c-echo-rq'),
        golden('echoscu-a-release-rq'),
        golden('echoscu-a-abort'),
      ]),
    );
    assert.deepEqual(
      [decoder.next()?.type, decoder.next()?.type, decoder.next()?.type, decoder.next()],
      ['P-DATA-TF', 'A-RELEASE-RQ', 'A-ABORT', undefined],
    );
  });

  it('keeps PDV data as views of the pushed chunk when the PDU lies in one chunk', () => {
    const chunk = golden('echoscu-p-data-tf-c-echo-rq');
    const decoder = new PduDecoder();
    decoder.push(chunk);
    const pdu = decoder.next();
    assert.equal(pdu?.type === 'P-DATA-TF' && pdu.pdvs[0]?.data.buffer, chunk.buffer);
  });

  describe('splitDatasetPdvs', () => {
    /** A P-DATA-TF with a command PDV (6 bytes) and a data set PDV (`size` bytes, last). */
    function twoPdvs(size: number): { wire: Uint8Array; command: Uint8Array; data: Uint8Array } {
      const command = Uint8Array.from([1, 2, 3, 4, 5, 6]);
      const data = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
      const wire = encodePduBytes({
        type: 'P-DATA-TF',
        pdvs: [
          { presentationContextId: 3, command: true, last: true, data: command },
          { presentationContextId: 3, command: false, last: true, data },
        ],
      });
      return { wire, command, data };
    }

    it('returns a data set PDV that spans chunks as views, one per piece, last flag on the final one', () => {
      const { wire, command, data } = twoPdvs(1000);
      const decoder = new PduDecoder({ splitDatasetPdvs: true });
      const chunks = [wire.slice(0, 9), wire.slice(9, 300), wire.slice(300, 700), wire.slice(700)];
      for (const chunk of chunks) decoder.push(chunk);
      const pdu = decoder.next();
      assert.ok(pdu?.type === 'P-DATA-TF', `a P-DATA-TF, not ${pdu?.type}`);
      const [first, ...pieces] = pdu.pdvs;
      assert.deepEqual(first, {
        presentationContextId: 3,
        command: true,
        last: true,
        data: command,
      });
      assert.equal(pieces.length, 3, 'the data set PDV is cut where the chunks are');
      assert.deepEqual(
        pieces.map((p) => [p.presentationContextId, p.command, p.last]),
        [
          [3, false, false],
          [3, false, false],
          [3, false, true],
        ],
      );
      assert.deepEqual(Buffer.concat(pieces.map((p) => p.data)), Buffer.from(data));
      assert.ok(
        pieces.every((p, i) => p.data.buffer === chunks[i + 1]!.buffer),
        'every piece is a view of a pushed chunk',
      );
      assert.equal(decoder.next(), undefined);
      assert.equal(decoder.bufferedLength, 0);
    });

    it('decodes byte-by-byte pushes to the same data', () => {
      const { wire, data } = twoPdvs(64);
      const decoder = new PduDecoder({ splitDatasetPdvs: true });
      for (let i = 0; i < wire.length; i++) decoder.push(wire.subarray(i, i + 1));
      const pdu = decoder.next();
      assert.ok(pdu?.type === 'P-DATA-TF', 'a P-DATA-TF');
      const pieces = pdu.pdvs.filter((p) => !p.command);
      assert.deepEqual(Buffer.concat(pieces.map((p) => p.data)), Buffer.from(data));
      assert.equal(pieces.filter((p) => p.last).length, 1, 'one last piece');
    });

    it('refuses a PDV item that runs past its PDU, and one shorter than 2', () => {
      const { wire } = twoPdvs(100);
      const long = Uint8Array.from(wire);
      // The data set PDV's item length (after header 6, command item 4 + 2 + 6) grows by one.
      new DataView(long.buffer).setUint32(18, 103);
      const decoder = new PduDecoder({ splitDatasetPdvs: true });
      decoder.push(long.slice(0, 20));
      decoder.push(long.slice(20));
      throwsPdu(() => decoder.next(), 'MALFORMED_PDU');

      const short = Uint8Array.from(wire);
      new DataView(short.buffer).setUint32(6, 1);
      const other = new PduDecoder({ splitDatasetPdvs: true });
      other.push(short.slice(0, 8));
      other.push(short.slice(8));
      throwsPdu(() => other.next(), 'MALFORMED_PDU');
    });
  });

  it('refuses a P-DATA-TF longer than our maximum from its 6-byte header alone', () => {
    const decoder = new PduDecoder({ maxPduLength: 16384 });
    // Exactly the maximum is fine (PDU-length counts the bytes after the header).
    decoder.push(bytes(0x04, 0, 0, 0, 0x40, 0x00));
    assert.equal(decoder.next(), undefined);

    const tooLong = new PduDecoder({ maxPduLength: 16384 });
    throwsPdu(() => tooLong.push(bytes(0x04, 0, 0, 0, 0x40, 0x01)), 'PDU_TOO_LARGE');
    assert.equal(tooLong.bufferedLength, 0);
  });

  it('refuses huge association PDUs and unknown types before buffering their body', () => {
    for (const type of [0x01, 0x02, 0x03, 0x05, 0x06, 0x07]) {
      const decoder = new PduDecoder();
      throwsPdu(() => decoder.push(bytes(type, 0, 0xff, 0xff, 0xff, 0xff)), 'PDU_TOO_LARGE');
    }
    const decoder = new PduDecoder();
    throwsPdu(() => decoder.push(bytes(0x09, 0, 0, 0, 0, 4)), 'UNKNOWN_PDU_TYPE');
  });

  it('checks the header when it arrives split over chunks', () => {
    const decoder = new PduDecoder({ maxPduLength: 100 });
    decoder.push(bytes(0x04, 0, 0));
    assert.equal(decoder.next(), undefined);
    throwsPdu(() => decoder.push(bytes(0, 0, 101)), 'PDU_TOO_LARGE');
  });

  it('stays failed after an error: framing is lost', () => {
    const decoder = new PduDecoder();
    throwsPdu(() => decoder.push(bytes(0x0a, 0, 0, 0, 0, 0)), 'UNKNOWN_PDU_TYPE');
    throwsPdu(() => decoder.push(golden('echoscu-a-release-rq')), 'UNKNOWN_PDU_TYPE');
    throwsPdu(() => decoder.next(), 'UNKNOWN_PDU_TYPE');
  });

  it('reports a stream that ends inside a PDU', () => {
    const decoder = new PduDecoder();
    decoder.push(golden('echoscu-a-associate-rq').subarray(0, 50));
    assert.equal(decoder.next(), undefined);
    throwsPdu(() => decoder.end(), 'INCOMPLETE_PDU');
  });

  it('rejects nonsense limits', () => {
    assert.throws(() => new PduDecoder({ maxPduLength: 0 }), RangeError);
    assert.throws(() => new PduDecoder({ maxAssociationPduLength: 2 ** 32 }), RangeError);
  });

  it('maps decoding errors to A-ABORT reasons', () => {
    assert.equal(new PduError('UNKNOWN_PDU_TYPE', 'x').abortReason, 'unrecognized-pdu');
    assert.equal(new PduError('MALFORMED_PDU', 'x').abortReason, 'invalid-pdu-parameter-value');
  });
});
