// Golden PDUs captured from DCMTK 3.6.7 (fixtures/capture-dcmtk.ts): each decodes to the fields
// DCMTK sent and re-encodes to the same bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodePdu,
  encodePdu,
  encodePduBytes,
  PduDecoder,
  PduError,
  type AAssociateAc,
  type AAssociateRq,
  type Pdu,
} from '../../src/net/pdu/index.js';
import { GOLDEN_NAMES, golden, goldenFiles, hex, type GoldenName } from './golden.js';
import { decodeCommand, encodeCommand } from '../../src/net/dimse/command.js';

const DCMTK_IMPLEMENTATION_CLASS_UID = '1.2.276.0.7230010.3.0.3.6.7';
const DCMTK_VERSION_NAME = 'OFFIS_DCMTK_367';
const VERIFICATION = '1.2.840.10008.1.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';

function decoded<T extends Pdu['type']>(name: GoldenName, type: T): Extract<Pdu, { type: T }> {
  const pdu = decodePdu(golden(name));
  assert.equal(pdu.type, type);
  return pdu as Extract<Pdu, { type: T }>;
}

function assertDcmtkIdentity(pdu: AAssociateRq | AAssociateAc): void {
  assert.equal(pdu.protocolVersion, 1);
  assert.equal(pdu.calledAeTitle, 'NIFFLER_SCP');
  assert.equal(pdu.callingAeTitle, 'NIFFLER_SCU');
  assert.equal(pdu.applicationContext, '1.2.840.10008.3.1.1.1');
  assert.equal(pdu.userInformation.maxLength, 16384);
  assert.equal(pdu.userInformation.implementationClassUid, DCMTK_IMPLEMENTATION_CLASS_UID);
  assert.equal(pdu.userInformation.implementationVersionName, DCMTK_VERSION_NAME);
}

/**
 * Offsets of the reserved byte DCMTK sets to 0xFF in each A-ASSOCIATE-RQ presentation context
 * item (the third byte after the ID; PS3.8 Table 9-13 says 00H, "not tested" on receipt).
 */
function dcmtkReservedOffsets(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets: number[] = [];
  for (let at = 74; at < bytes.length; at += 4 + view.getUint16(at + 2)) {
    if (bytes[at] === 0x20) offsets.push(at + 6);
  }
  return offsets;
}

describe('golden PDUs from DCMTK', () => {
  it('has a fixture file for every name and a name for every fixture file', () => {
    assert.deepEqual(goldenFiles(), [...GOLDEN_NAMES].sort());
  });

  for (const name of GOLDEN_NAMES) {
    it(`${name} re-encodes to the bytes DCMTK sent`, () => {
      const bytes = golden(name);
      const again = encodePduBytes(decodePdu(bytes));
      const expected = bytes.slice();
      const reserved = expected[0] === 0x01 ? dcmtkReservedOffsets(expected) : [];
      for (const offset of reserved) {
        assert.equal(expected[offset], 0xff, `DCMTK's reserved byte at ${offset}`);
        expected[offset] = 0x00;
      }
      assert.equal(hex(again), hex(expected));
      // Only those reserved bytes differ: one per presentation context of a request.
      const differing = bytes.reduce((n, byte, i) => n + (byte === again[i] ? 0 : 1), 0);
      assert.equal(differing, reserved.length);
    });
  }

  it('echoscu A-ASSOCIATE-RQ: one Verification context, implicit VR little endian', () => {
    const rq = decoded('echoscu-a-associate-rq', 'A-ASSOCIATE-RQ');
    assertDcmtkIdentity(rq);
    assert.deepEqual(rq.presentationContexts, [
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
    ]);
    assert.equal(rq.unknownItems, undefined);
  });

  it('echoscu -ppc 128 -pts 38: 128 contexts (IDs 1..255) of 38 transfer syntaxes each', () => {
    const rq = decoded('echoscu-128-contexts-a-associate-rq', 'A-ASSOCIATE-RQ');
    assertDcmtkIdentity(rq);
    assert.equal(rq.presentationContexts.length, 128);
    assert.deepEqual(
      rq.presentationContexts.map((context) => context.id),
      Array.from({ length: 128 }, (_, i) => 2 * i + 1),
    );
    for (const context of rq.presentationContexts) {
      assert.equal(context.abstractSyntax, VERIFICATION);
      assert.equal(context.transferSyntaxes.length, 38);
    }
    const syntaxes = rq.presentationContexts[0]?.transferSyntaxes ?? [];
    // Every compressed family DCMTK knows: JPEG, JPEG-LS, JPEG 2000, RLE, deflate, MPEG, HEVC.
    for (const uid of [
      '1.2.840.10008.1.2.4.50',
      '1.2.840.10008.1.2.4.57',
      JPEG_LOSSLESS_SV1,
      '1.2.840.10008.1.2.4.80',
      '1.2.840.10008.1.2.4.91',
      '1.2.840.10008.1.2.5',
      '1.2.840.10008.1.2.1.99',
      '1.2.840.10008.1.2.4.102',
      '1.2.840.10008.1.2.4.108',
    ]) {
      assert.ok(syntaxes.includes(uid), uid);
    }
  });

  it('storescu A-ASSOCIATE-RQ: JPEG lossless and uncompressed CT contexts, user identity', () => {
    const rq = decoded('storescu-user-identity-a-associate-rq', 'A-ASSOCIATE-RQ');
    assertDcmtkIdentity(rq);
    assert.deepEqual(rq.presentationContexts, [
      { id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [JPEG_LOSSLESS_SV1] },
      {
        id: 3,
        abstractSyntax: CT_IMAGE_STORAGE,
        transferSyntaxes: [EXPLICIT_LE, EXPLICIT_BE, IMPLICIT_LE],
      },
    ]);
    const identity = rq.userInformation.userIdentity;
    assert.equal(identity?.identityType, 'username-and-passcode');
    assert.equal(identity.positiveResponseRequested, false);
    assert.equal(Buffer.from(identity.primaryField).toString(), 'niffler');
    assert.equal(Buffer.from(identity.secondaryField).toString(), 'secret');
  });

  it('findscu A-ASSOCIATE-RQ: Study Root FIND', () => {
    const rq = decoded('findscu-a-associate-rq', 'A-ASSOCIATE-RQ');
    assertDcmtkIdentity(rq);
    assert.deepEqual(rq.presentationContexts, [
      {
        id: 1,
        abstractSyntax: STUDY_ROOT_FIND,
        transferSyntaxes: [EXPLICIT_LE, EXPLICIT_BE, IMPLICIT_LE],
      },
    ]);
  });

  it('getscu A-ASSOCIATE-RQ: Study Root GET plus storage classes with the SCP role proposed', () => {
    const rq = decoded('getscu-a-associate-rq', 'A-ASSOCIATE-RQ');
    assertDcmtkIdentity(rq);
    const [get, ...storage] = rq.presentationContexts;
    assert.equal(get?.abstractSyntax, STUDY_ROOT_GET);
    assert.equal(storage.length, 120);
    const roles = rq.userInformation.roleSelections ?? [];
    assert.deepEqual(
      roles.map((role) => role.sopClassUid),
      storage.map((context) => context.abstractSyntax),
    );
    assert.ok(
      roles.every((role) => !role.scu && role.scp),
      'expected roles.every((role) => !role.scu && role.scp)',
    );
    assert.ok(
      roles.some((role) => role.sopClassUid === CT_IMAGE_STORAGE),
      'expected roles.some((role) => role.sopClassUid === CT_IMAGE_STORAGE)',
    );
  });

  it('echoscu P-DATA-TF: one command PDV, last fragment, data viewed in place', () => {
    const bytes = golden('echoscu-p-data-tf-c-echo-rq');
    const pdata = decodePdu(bytes);
    assert.equal(pdata.type, 'P-DATA-TF');
    assert.equal(pdata.pdvs.length, 1);
    const [pdv] = pdata.pdvs;
    assert.equal(pdv?.presentationContextId, 1);
    assert.equal(pdv.command, true);
    assert.equal(pdv.last, true);
    assert.equal(pdv.data.length, bytes.length - 12);
    assert.equal(pdv.data.buffer, bytes.buffer, 'a view, not a copy');
    assert.ok(
      Buffer.from(pdv.data).toString('latin1').includes(VERIFICATION),
      "expected Buffer.from(pdv.data).toString('latin1').includes(VERIFICATION)",
    );
    // Encoding refers to the same data instead of copying it.
    assert.ok(encodePdu(pdata).includes(pdv.data), 'expected encodePdu(pdata).includes(pdv.data)');
  });

  it("DCMTK's command sets (C-ECHO-RQ, C-ECHO-RSP) decode, and encode back byte for byte", () => {
    const expected = {
      'echoscu-p-data-tf-c-echo-rq': {
        kind: 'C-ECHO-RQ',
        messageId: 1,
        affectedSopClassUid: VERIFICATION,
      },
      'storescp-p-data-tf-c-echo-rsp': {
        kind: 'C-ECHO-RSP',
        messageIdBeingRespondedTo: 1,
        affectedSopClassUid: VERIFICATION,
        status: 0,
        errorComment: undefined,
        offendingElements: undefined,
      },
    } as const;
    for (const [name, command] of Object.entries(expected)) {
      const pdata = decoded(name as keyof typeof expected, 'P-DATA-TF');
      const data = pdata.pdvs[0]!.data;
      const decodedCommand = decodeCommand(data);
      assert.deepEqual(decodedCommand, { command, hasDataset: false }, name);
      assert.deepEqual(encodeCommand(decodedCommand.command, false), Uint8Array.from(data), name);
    }
  });

  it('echoscu A-RELEASE-RQ and A-ABORT (echoscu --abort)', () => {
    assert.deepEqual(decodePdu(golden('echoscu-a-release-rq')), { type: 'A-RELEASE-RQ' });
    assert.deepEqual(decodePdu(golden('echoscu-a-abort')), {
      type: 'A-ABORT',
      source: 'service-user',
      reason: 'reason-not-specified',
    });
  });

  it("storescp A-ASSOCIATE-AC to echoscu's request", () => {
    const ac = decoded('storescp-a-associate-ac', 'A-ASSOCIATE-AC');
    assertDcmtkIdentity(ac);
    assert.deepEqual(ac.presentationContexts, [
      { id: 1, result: 'acceptance', transferSyntax: IMPLICIT_LE },
    ]);
  });

  it("storescp A-ASSOCIATE-AC to getscu's request: GET rejected, no role selection answered", () => {
    const ac = decoded('storescp-getscu-a-associate-ac', 'A-ASSOCIATE-AC');
    assertDcmtkIdentity(ac);
    const [get, ...storage] = ac.presentationContexts;
    assert.deepEqual(get, {
      id: 1,
      result: 'abstract-syntax-not-supported',
      transferSyntax: IMPLICIT_LE,
    });
    assert.equal(storage.length, 120);
    assert.ok(
      storage.every((context) => context.result === 'acceptance'),
      "expected storage.every((context) => context.result === 'acceptance')",
    );
    assert.equal(ac.userInformation.roleSelections, undefined);
  });

  it('storescp P-DATA-TF (C-ECHO-RSP), A-RELEASE-RP and --refuse A-ASSOCIATE-RJ', () => {
    const rsp = decoded('storescp-p-data-tf-c-echo-rsp', 'P-DATA-TF');
    assert.deepEqual(
      rsp.pdvs.map(({ presentationContextId, command, last }) => ({
        presentationContextId,
        command,
        last,
      })),
      [{ presentationContextId: 1, command: true, last: true }],
    );
    assert.deepEqual(decodePdu(golden('storescp-a-release-rp')), { type: 'A-RELEASE-RP' });
    assert.deepEqual(decodePdu(golden('storescp-refuse-a-associate-rj')), {
      type: 'A-ASSOCIATE-RJ',
      result: 'rejected-permanent',
      source: 'service-user',
      reason: 'no-reason-given',
    });
  });

  it('PduDecoder frames every golden PDU from one stream cut at every third byte', () => {
    const stream = Buffer.concat(GOLDEN_NAMES.map((name) => golden(name)));
    const decoder = new PduDecoder({ maxPduLength: 16384 });
    const out: Pdu[] = [];
    for (let at = 0; at < stream.length; at += 3) {
      decoder.push(new Uint8Array(stream.subarray(at, at + 3)));
      for (let pdu = decoder.next(); pdu !== undefined; pdu = decoder.next()) out.push(pdu);
    }
    decoder.end();
    assert.deepEqual(
      out,
      GOLDEN_NAMES.map((name) => decodePdu(golden(name))),
    );
  });

  it("refuses DCMTK's largest request when the association PDU bound is 64 KiB", () => {
    const decoder = new PduDecoder({ maxAssociationPduLength: 65536 });
    assert.throws(
      () => decoder.push(golden('echoscu-128-contexts-a-associate-rq')),
      (error: unknown) => error instanceof PduError && error.code === 'PDU_TOO_LARGE',
    );
  });
});
