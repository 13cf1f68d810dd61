// Issue 3, SCP side: misbehaving peers and a live fuzz. A scripted fake peer (raw node:net
// socket, PDUs built with encodePdu) sends oversized PDUs, PDUs in the wrong state, goes silent
// past the timeouts and disconnects in the middle of a data set. Each time the association must
// end (A-ABORT or close), no file or temporary file may remain, and the server keeps serving
// (a DCMTK echoscu succeeds afterwards). The fuzz feeds a live SCP in its own process with
// random and mutated bytes over a few hundred connections while a well-behaved sender stores
// objects beside them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Dataset, EXPLICIT_LITTLE } from '../../src/dicom/dataset.js';
import { TEMP_PREFIX } from '../../src/io/durable-file.js';
import { tagForKeyword } from '../../src/dicom/dictionary/index.js';
import { encodeDataset } from '../../src/dicom/write/encode.js';
import { setStrings } from '../../src/dicom/write/edit.js';
import { encodeCommand, Priority, type Command } from '../../src/net/dimse/command.js';
import { Status } from '../../src/net/dimse/status.js';
import { buildAssociateRq } from '../../src/net/negotiation/index.js';
import { encodePduBytes, type AAssociateRq, type Pdu } from '../../src/net/pdu/index.js';
import type { Ending } from '../../src/net/transport/connection.js';
import {
  commandPData,
  datasetPData,
  describeResult,
  FakePeer,
  LOCALHOST,
  makeTempDir,
  pickInstances,
  processMemory,
  readPart10,
  removeDir,
  runTool,
  sleep,
  startScpProcess,
  startTestScp,
  StoreScu,
  tempFilesIn,
  type ScpProcess,
  type TestScp,
} from '../helpers/scp-harness.js';
import { Prng } from '../helpers/prng.js';

const CALLED = 'NIFFLER';
const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
/**
 * Limits small enough that every timeout fires within a test, ARTIM first to tell them apart;
 * large enough that a well-behaved peer in this process, stalled by a loaded machine between its
 * TCP connect and its A-ASSOCIATE-RQ, is not taken for a silent one.
 */
const ARTIM_MS = 500;
const IDLE_MS = 1_000;
const MAX_PDU = 16_384;
/** How long the server may take to close after a timeout or an abort (ARTIM plus a margin). */
const CLOSE_WITHIN_MS = IDLE_MS + ARTIM_MS + 1_500;
/** The fuzz run's SCP: short timers, since many of its 400 peers go silent on purpose. */
const FUZZ_ARTIM_MS = 200;
const FUZZ_IDLE_MS = 400;
const FUZZ_CLOSE_WITHIN_MS = FUZZ_IDLE_MS + FUZZ_ARTIM_MS + 1_500;

const QUERY_RETRIEVE_LEVEL = tagForKeyword('QueryRetrieveLevel')!;
const STUDY_INSTANCE_UID = tagForKeyword('StudyInstanceUID')!;
const PATIENT_ID = tagForKeyword('PatientID')!;

const RQ: AAssociateRq = buildAssociateRq({
  callingAeTitle: 'FAKEPEER',
  calledAeTitle: CALLED,
  contexts: [
    { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] }, // context 1
    { abstractSyntax: CT, transferSyntaxes: [EXPLICIT] }, // context 3
  ],
  maxPduLength: MAX_PDU,
});

const storeRq = (messageId: number, uid: string) =>
  commandPData(
    3,
    {
      kind: 'C-STORE-RQ',
      messageId,
      affectedSopClassUid: CT,
      affectedSopInstanceUid: uid,
      priority: Priority.Medium,
    },
    true,
  );

/** A P-DATA-TF header declaring `length` bytes (PS3.8 9.3.5), without the bytes. */
function pduHeader(type: number, length: number): Uint8Array {
  const header = new Uint8Array(6);
  header[0] = type;
  new DataView(header.buffer).setUint32(2, length);
  return header;
}

describe('misbehaving peers against our SCP', () => {
  let scp: TestScp;

  before(async () => {
    scp = await startTestScp({
      aeTitle: CALLED,
      idleTimeoutMs: IDLE_MS,
      artimTimeoutMs: ARTIM_MS,
      maxPduLength: MAX_PDU,
    });
  });

  after(async () => {
    await scp?.close();
  });

  /** The server dropped every association, left no temporary file and still answers echoscu. */
  afterEach(async () => {
    for (let i = 0; scp.server.activeAssociations > 0; i++) {
      assert.ok(i < 100, 'an association outlived its peer');
      await sleep(20);
    }
    for (let i = 0; tempFilesIn(scp.directory).length > 0; i++) {
      assert.ok(i < 100, `temporary files left behind: ${tempFilesIn(scp.directory).join(', ')}`);
      await sleep(20);
    }
    const echo = await runTool('echoscu', [
      '-aet',
      'ECHOSCU',
      '-aec',
      CALLED,
      LOCALHOST,
      String(scp.port),
    ]);
    assert.equal(echo.code, 0, `the server stopped serving: ${describeResult(echo)}`);
  });

  /** Ends reported from now on. */
  function endingsFrom(start: number): Ending[] {
    return scp.events
      .slice(start)
      .flatMap((e) => (e.kind === 'association-ended' ? [e.ending] : []));
  }

  async function nextEnding(start: number): Promise<Ending> {
    for (let i = 0; i < 200; i++) {
      const [ending] = endingsFrom(start);
      if (ending !== undefined) return ending;
      await sleep(10);
    }
    throw new Error('no association-ended event');
  }

  async function associated(): Promise<FakePeer> {
    const peer = await FakePeer.connect(scp.port);
    const answer = await peer.associate(RQ);
    assert.equal(answer?.type, 'A-ASSOCIATE-AC');
    return peer;
  }

  /** Reads until the server closes; returns the PDUs it sent. */
  async function drain(peer: FakePeer): Promise<Pdu[]> {
    await peer.waitClosed(CLOSE_WITHIN_MS);
    const rest: Pdu[] = [];
    for (let pdu = await peer.next(0); pdu !== undefined; pdu = await peer.next(0)) rest.push(pdu);
    assert.equal(peer.decodeError, undefined, 'the server sent a malformed PDU');
    return rest;
  }

  /** Files stored (temporary files aside). */
  function storedFiles(): string[] {
    // One listing: a temporary file removed between two listings would count as stored.
    return readdirSync(scp.directory).filter((name) => !name.startsWith(TEMP_PREFIX));
  }

  describe('oversized PDU', () => {
    it('a P-DATA-TF longer than our Maximum Length: A-ABORT, close', async () => {
      const start = scp.events.length;
      const peer = await associated();
      peer.write(pduHeader(0x04, 1_000_000));
      peer.write(new Uint8Array(4096));
      const sent = await drain(peer);
      assert.equal(sent.at(-1)?.type, 'A-ABORT');
      const ending = await nextEnding(start);
      assert.equal(ending.kind, 'aborted');
      assert.match(ending.kind === 'aborted' ? ending.reason : '', /declares 1000000 bytes/);
    });

    it('an A-ASSOCIATE-RQ declaring 2 GB: closed without reading it', async () => {
      const peer = await FakePeer.connect(scp.port);
      peer.write(pduHeader(0x01, 0x7fff_ffff));
      peer.write(randomBytes(8192));
      const sent = await drain(peer);
      assert.ok(
        sent.every((pdu) => pdu.type === 'A-ABORT'),
        JSON.stringify(sent),
      );
    });
  });

  describe('PDU in the wrong state', () => {
    const cases: [string, (peer: FakePeer) => void, boolean][] = [
      ['P-DATA-TF before A-ASSOCIATE-RQ', (p) => p.send(commandPData(1, echoRq(1), false)), false],
      ['A-RELEASE-RQ before A-ASSOCIATE-RQ', (p) => p.send({ type: 'A-RELEASE-RQ' }), false],
      ['A-ASSOCIATE-RQ while associated', (p) => p.send(RQ), true],
      [
        'A-ASSOCIATE-AC sent to the acceptor',
        (p) =>
          p.send({
            type: 'A-ASSOCIATE-AC',
            protocolVersion: 1,
            calledAeTitle: CALLED,
            callingAeTitle: 'FAKEPEER',
            applicationContext: RQ.applicationContext,
            presentationContexts: [],
            userInformation: { maxLength: MAX_PDU },
          }),
        true,
      ],
      ['A-RELEASE-RP while associated', (p) => p.send({ type: 'A-RELEASE-RP' }), true],
      ['an unknown PDU type (0x42)', (p) => p.write(pduHeader(0x42, 0)), true],
      [
        'a data set fragment without a command',
        (p) => p.send(datasetPData(3, new Uint8Array(100), true)),
        true,
      ],
      [
        'a command on a presentation context never negotiated',
        (p) => p.send(commandPData(99, echoRq(1), false)),
        true,
      ],
      [
        'a new command in the middle of a data set',
        (p) => {
          p.send(storeRq(1, '1.2.3.4'));
          p.send(datasetPData(3, new Uint8Array(100), false));
          p.send(commandPData(1, echoRq(2), false));
        },
        true,
      ],
    ];
    for (const [name, script, associate] of cases) {
      it(`${name}: the association is aborted`, async () => {
        const start = scp.events.length;
        const files = storedFiles().length;
        const peer = associate ? await associated() : await FakePeer.connect(scp.port);
        const began = performance.now();
        script(peer);
        const sent = await drain(peer);
        assert.equal(
          sent.at(-1)?.type,
          'A-ABORT',
          `${name}: ${JSON.stringify(sent.map((p) => p.type))}`,
        );
        // At once, not when a timer expires: the reason names the fault, not ARTIM or the idle
        // timeout (a time bound would fail whenever a loaded machine stalls this process).
        const abortedAfter = peer.receivedAt.at(-1)! - began;
        const ending = await nextEnding(start);
        assert.equal(ending.kind, 'aborted', JSON.stringify(ending));
        assert.doesNotMatch(
          ending.kind === 'aborted' ? ending.reason : '',
          /ARTIM|no data from the peer/,
          `aborted by a timer after ${Math.round(abortedAfter)} ms`,
        );
        assert.equal(storedFiles().length, files, 'a file was stored');
      });
    }
  });

  describe('silence past the timeout', () => {
    it('connected, no A-ASSOCIATE-RQ: closed when ARTIM expires', async () => {
      const start = scp.events.length;
      const peer = await FakePeer.connect(scp.port);
      const began = performance.now();
      await drain(peer);
      const elapsed = peer.closedAt! - began;
      // No upper bound: the reason below says which timer closed it.
      assert.ok(elapsed >= ARTIM_MS * 0.9, `closed after ${elapsed} ms`);
      const ending = await nextEnding(start);
      assert.match(ending.kind === 'aborted' ? ending.reason : '', /ARTIM/);
    });

    it('associated, then silent: A-ABORT after the idle timeout', async () => {
      const start = scp.events.length;
      const peer = await associated();
      const began = performance.now();
      const sent = await drain(peer);
      assert.ok(
        peer.receivedAt.at(-1)! - began >= IDLE_MS * 0.9,
        'expected peer.receivedAt.at(-1)! - began >= IDLE_MS * 0.9',
      );
      assert.equal(sent.at(-1)?.type, 'A-ABORT');
      const ending = await nextEnding(start);
      assert.match(ending.kind === 'aborted' ? ending.reason : '', /no data from the peer/);
    });

    it('half a PDU, then silent: aborted', async () => {
      const peer = await associated();
      peer.write(pduHeader(0x04, 1000));
      peer.write(new Uint8Array(10));
      const sent = await drain(peer);
      assert.equal(sent.at(-1)?.type, 'A-ABORT');
    });

    it('half a data set, then silent: aborted, no partial file', async () => {
      const files = storedFiles().length;
      const peer = await associated();
      peer.send(storeRq(1, '1.2.3.4.5.6.1'));
      for (let i = 0; i < 4; i++) peer.send(datasetPData(3, new Uint8Array(8000), false));
      const sent = await drain(peer);
      assert.equal(sent.at(-1)?.type, 'A-ABORT');
      assert.equal(storedFiles().length, files);
    });

    it('released but never closes the socket: closed by the server', async () => {
      const peer = await associated();
      peer.send({ type: 'A-RELEASE-RQ' });
      const sent = await drain(peer);
      assert.equal(sent[0]?.type, 'A-RELEASE-RP');
    });
  });

  describe('disconnect in the middle of a data set', () => {
    for (const how of ['destroy', 'end', 'A-ABORT'] as const) {
      it(`${how}: the partial object and its temporary file are removed`, async () => {
        const start = scp.events.length;
        const files = storedFiles().length;
        const peer = await associated();
        peer.send(storeRq(1, `1.2.3.4.5.6.${how.length}`));
        for (let i = 0; i < 8; i++) peer.send(datasetPData(3, randomBytes(8000), false));
        await sleep(50); // let the server open its temporary file
        if (how === 'destroy') peer.destroy();
        if (how === 'end') peer.socket.end();
        if (how === 'A-ABORT') {
          peer.send({ type: 'A-ABORT', source: 'service-user', reason: 'reason-not-specified' });
        }
        await peer.closed;
        const ending = await nextEnding(start);
        assert.equal(ending.kind, how === 'A-ABORT' ? 'aborted-by-peer' : 'connection-lost');
        for (let i = 0; tempFilesIn(scp.directory).length > 0; i++) {
          assert.ok(i < 100, 'temporary file not removed');
          await sleep(20);
        }
        assert.equal(storedFiles().length, files);
      });
    }

    it('server.close() during a data set: resolves with the partial object removed', async () => {
      const other = await startTestScp({ aeTitle: CALLED });
      const peer = await FakePeer.connect(other.port);
      assert.equal((await peer.associate(RQ))?.type, 'A-ASSOCIATE-AC');
      peer.send(storeRq(1, '1.2.3.4.5.6.99'));
      for (let i = 0; i < 8; i++) peer.send(datasetPData(3, randomBytes(8000), false));
      for (let i = 0; tempFilesIn(other.directory).length === 0; i++) {
        assert.ok(i < 100, 'no temporary file was opened');
        await sleep(10);
      }
      // The peer never hangs up after the A-ABORT: the server closes the socket itself, well
      // before its default ARTIM (30 s) would.
      const closing = performance.now();
      await other.server.close(0);
      const closedAfter = performance.now() - closing;
      assert.ok(closedAfter < 10_000, `close() took ${Math.round(closedAfter)} ms`);
      // Immediately: a process that exits right after close() leaves nothing behind.
      assert.deepEqual(readdirSync(other.directory), []);
      await other.close();
    });

    it('control: the same object sent whole is stored, verbatim', async () => {
      const [instance] = pickInstances([EXPLICIT], 1, (i) => i.sopClassUid === CT);
      assert.ok(instance, 'expected instance');
      const bytes = readPart10(instance.path).datasetBytes;
      const peer = await associated();
      peer.send({
        ...storeRq(7, instance.sopInstanceUid),
      });
      for (let at = 0; at < bytes.length; at += 8000) {
        const end = Math.min(bytes.length, at + 8000);
        peer.send(datasetPData(3, bytes.subarray(at, end), end === bytes.length));
      }
      const response = await peer.next();
      assert.equal(response?.type, 'P-DATA-TF');
      peer.send({ type: 'A-RELEASE-RQ' });
      await drain(peer);
      const stored = readPart10(path.join(scp.directory, `${instance.sopInstanceUid}.dcm`));
      assert.ok(stored.datasetBytes.equals(bytes), 'expected stored.datasetBytes.equals(bytes)');
    });
  });
});

function echoRq(messageId: number) {
  return { kind: 'C-ECHO-RQ', messageId, affectedSopClassUid: VERIFICATION } as const;
}

// --- Live fuzz ---------------------------------------------------------------------------------

/** One fuzz case: what to send, in which pieces, and whether to hang up early. */
interface FuzzCase {
  readonly name: string;
  readonly chunks: Uint8Array[];
  /** Close our side this many ms after sending; undefined: wait for the server to close. */
  readonly hangUpAfterMs: number | undefined;
}

const RQ_BYTES = encodePduBytes(RQ);

const STUDY_ROOT = {
  find: '1.2.840.10008.5.1.4.1.2.2.1',
  move: '1.2.840.10008.5.1.4.1.2.2.2',
  get: '1.2.840.10008.5.1.4.1.2.2.3',
};

/** Storage, verification and query/retrieve contexts (1, 3, 5, 7, 9), with the SCP role for CT. */
const QR_RQ_BYTES = encodePduBytes(
  buildAssociateRq({
    callingAeTitle: 'FUZZER',
    calledAeTitle: CALLED,
    contexts: [
      ...RQ.presentationContexts,
      ...Object.values(STUDY_ROOT).map((abstractSyntax) => ({
        abstractSyntax,
        transferSyntaxes: [EXPLICIT, IMPLICIT],
      })),
    ],
    roles: [{ sopClassUid: CT, scu: true, scp: true }],
    maxPduLength: MAX_PDU,
  }),
);

/** A study root identifier, explicit VR little endian. */
function identifier(prng: Prng): Uint8Array {
  const dataset = new Dataset(EXPLICIT_LITTLE);
  setStrings(dataset, QUERY_RETRIEVE_LEVEL, [
    prng.pick(['PATIENT', 'STUDY', 'SERIES', 'IMAGE', 'X']),
  ]);
  setStrings(dataset, STUDY_INSTANCE_UID, prng.chance(0.5) ? [] : ['1.2.3']);
  setStrings(dataset, PATIENT_ID, [prng.pick(['', '*', 'A?C'])]);
  return concat(encodeDataset(dataset, EXPLICIT_LITTLE));
}

/** A DIMSE request or response a requestor might send, valid or not in its place. */
function someCommand(
  prng: Prng,
  messageId: number,
): { contextId: number; command: Command; data: boolean } {
  const uid = `1.2.826.0.1.3680043.10.1.${messageId}`;
  switch (prng.int(7)) {
    case 0:
      return { contextId: 1, command: echoRq(messageId), data: false };
    case 1:
      return {
        contextId: 5,
        command: {
          kind: 'C-FIND-RQ',
          messageId,
          affectedSopClassUid: STUDY_ROOT.find,
          priority: 0,
        },
        data: true,
      };
    case 2:
      return {
        contextId: 7,
        command: {
          kind: 'C-MOVE-RQ',
          messageId,
          affectedSopClassUid: STUDY_ROOT.move,
          priority: 0,
          moveDestination: prng.pick(['NOWHERE', 'FUZZER']),
        },
        data: true,
      };
    case 3:
      return {
        contextId: 9,
        command: { kind: 'C-GET-RQ', messageId, affectedSopClassUid: STUDY_ROOT.get, priority: 0 },
        data: true,
      };
    case 4:
      return {
        contextId: prng.pick([5, 7, 9]),
        command: { kind: 'C-CANCEL-RQ', messageIdBeingRespondedTo: prng.range(0, 3) },
        data: false,
      };
    case 5:
      return {
        contextId: 3,
        command: {
          kind: 'C-STORE-RSP',
          messageIdBeingRespondedTo: prng.range(0, 3),
          affectedSopClassUid: CT,
          affectedSopInstanceUid: uid,
          status: prng.pick([0, 0xa700, 0xfe00]),
        },
        data: false,
      };
    default:
      return {
        contextId: 3,
        command: {
          kind: 'C-STORE-RQ',
          messageId,
          affectedSopClassUid: CT,
          affectedSopInstanceUid: uid,
          priority: 0,
        },
        data: true,
      };
  }
}

function mutate(prng: Prng, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes);
  const edits = prng.range(1, 8);
  for (let i = 0; i < edits; i++) {
    const at = prng.int(out.length);
    switch (prng.int(4)) {
      case 0:
        out[at] = prng.int(256);
        break;
      case 1:
        out[at] = out[at]! ^ (1 << prng.int(8));
        break;
      case 2:
        out[at] = prng.pick([0x00, 0xff, 0x7f, 0x80]);
        break;
      default:
        // A length field: make it huge, zero or off by a little.
        if (at + 4 <= out.length) {
          new DataView(out.buffer).setUint32(
            at,
            prng.pick([0, 1, 0xffffffff, 0x7fffffff, prng.nextU32()]),
          );
        }
    }
  }
  if (prng.chance(0.2)) return out.subarray(0, prng.int(out.length));
  return out;
}

function splitRandomly(prng: Prng, bytes: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = Math.min(
      bytes.length - at,
      prng.chance(0.5) ? prng.range(1, 16) : prng.range(1, 4096),
    );
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function fuzzCase(prng: Prng, index: number): FuzzCase {
  const kind = prng.int(7);
  let name: string;
  let bytes: Uint8Array;
  switch (kind) {
    case 0:
      name = 'random bytes';
      bytes = randomBytesFrom(prng, prng.range(0, 4096));
      if (prng.chance(0.5)) bytes[0] = prng.range(1, 7); // a plausible PDU type
      break;
    case 1:
      name = 'mutated A-ASSOCIATE-RQ';
      bytes = mutate(prng, RQ_BYTES);
      break;
    case 2: {
      name = 'association, then a mutated C-STORE';
      const command = encodePduBytes(storeRq(1, `1.2.826.0.1.3680043.10.${index}`));
      const data = encodePduBytes(
        datasetPData(3, randomBytesFrom(prng, prng.range(0, 12000)), prng.chance(0.5)),
      );
      bytes = concat([RQ_BYTES, mutate(prng, concat([command, data]))]);
      break;
    }
    case 3: {
      name = 'association, then mutated PDUs of every type';
      const pdus: Pdu[] = [
        commandPData(1, echoRq(1), false),
        { type: 'A-RELEASE-RQ' },
        { type: 'A-ABORT', source: 'service-user', reason: 'reason-not-specified' },
        RQ,
      ];
      bytes = concat([
        RQ_BYTES,
        ...pdus.filter(() => prng.chance(0.6)).map((p) => mutate(prng, encodePduBytes(p))),
      ]);
      break;
    }
    case 5: {
      // Well-framed PDUs and PDVs: what is wrong (if anything) is inside the command sets.
      name = 'association, well-framed DIMSE messages with mutated commands';
      const parts = [QR_RQ_BYTES];
      for (let m = 1; m <= prng.range(1, 4); m++) {
        const { contextId, command, data } = someCommand(prng, m);
        let bytes = encodeCommand(command, data);
        if (prng.chance(0.6)) bytes = mutate(prng, bytes);
        parts.push(
          encodePduBytes({
            type: 'P-DATA-TF',
            pdvs: [{ presentationContextId: contextId, command: true, last: true, data: bytes }],
          }),
        );
        if (data) {
          const body = prng.chance(0.7)
            ? identifier(prng)
            : randomBytesFrom(prng, prng.range(0, 300));
          parts.push(
            encodePduBytes(
              datasetPData(contextId, prng.chance(0.3) ? mutate(prng, body) : body, true),
            ),
          );
        }
      }
      if (prng.chance(0.5)) parts.push(encodePduBytes({ type: 'A-RELEASE-RQ' }));
      bytes = concat(parts);
      break;
    }
    case 6: {
      // Valid queries and retrievals, then C-CANCEL, release or a hang-up in the middle.
      name = 'association, valid C-FIND/C-MOVE/C-GET, cancel or leave';
      const parts = [QR_RQ_BYTES];
      for (let m = 1; m <= prng.range(1, 3); m++) {
        const { contextId, command, data } = someCommand(prng, m);
        parts.push(encodePduBytes(commandPData(contextId, command, data)));
        if (data) parts.push(encodePduBytes(datasetPData(contextId, identifier(prng), true)));
        if (prng.chance(0.5)) {
          parts.push(
            encodePduBytes(
              commandPData(contextId, { kind: 'C-CANCEL-RQ', messageIdBeingRespondedTo: m }, false),
            ),
          );
        }
      }
      if (prng.chance(0.5)) parts.push(encodePduBytes({ type: 'A-RELEASE-RQ' }));
      bytes = concat(parts);
      break;
    }
    default: {
      name = 'association, a complete C-STORE of random bytes, garbage';
      const data = randomBytesFrom(prng, prng.range(0, 40000));
      const parts = [RQ_BYTES, encodePduBytes(storeRq(1, `1.2.826.0.1.3680043.10.${index}`))];
      for (let at = 0; at < data.length || at === 0; at += 8000) {
        const end = Math.min(data.length, at + 8000);
        parts.push(encodePduBytes(datasetPData(3, data.subarray(at, end), end === data.length)));
        if (end === data.length) break;
      }
      parts.push(randomBytesFrom(prng, prng.range(0, 64)));
      bytes = concat(parts);
    }
  }
  return {
    name: `#${index} ${name}`,
    chunks: splitRandomly(prng, bytes),
    hangUpAfterMs: prng.chance(0.5) ? prng.range(0, 200) : undefined,
  };
}

function randomBytesFrom(prng: Prng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = prng.int(256);
  return out;
}

describe('live fuzz: random and mutated bytes into an SCP process', () => {
  // NIFFLER_FUZZ_SEED and NIFFLER_FUZZ_CONNECTIONS reproduce or widen a run.
  const SEED = Number(process.env.NIFFLER_FUZZ_SEED ?? 0x5c9f);
  const CONNECTIONS = Number(process.env.NIFFLER_FUZZ_CONNECTIONS ?? 400);
  const PARALLEL = 16;
  let work: string;
  let scp: ScpProcess;

  before(async () => {
    work = await makeTempDir('scp-fuzz');
    scp = await startScpProcess({
      aeTitle: CALLED,
      directory: work,
      idleTimeoutMs: FUZZ_IDLE_MS,
      artimTimeoutMs: FUZZ_ARTIM_MS,
      maxPduLength: MAX_PDU,
      maxAssociations: 64,
      fsync: false,
      queryRetrieve: true,
    });
  });

  after(async () => {
    await scp?.stop();
    if (work !== undefined) await removeDir(work);
  });

  it(`seed ${SEED}: ${CONNECTIONS} connections, no crash, bounded memory, all end, others carry on`, async (t) => {
    const began = performance.now();
    const baseline = processMemory(scp.pid);
    const prng = new Prng(SEED);
    const cases = Array.from({ length: CONNECTIONS }, (_, i) => fuzzCase(prng, i));
    let peakRssKb = baseline.rssKb;
    const sampler = setInterval(() => {
      peakRssKb = Math.max(peakRssKb, processMemory(scp.pid).rssKb);
    }, 50);

    // A well-behaved sender stores real objects while the fuzz runs.
    const [instance] = pickInstances([EXPLICIT], 1, (i) => i.sopClassUid === CT);
    assert.ok(instance, 'expected instance');
    let fuzzing = true;
    const legit = (async () => {
      const statuses: number[] = [];
      while (fuzzing) {
        const scu = await StoreScu.open(
          { host: LOCALHOST, port: scp.port, calledAeTitle: CALLED, callingAeTitle: 'GOOD' },
          [instance],
        );
        statuses.push(await scu.store(instance));
        await scu.release();
      }
      return statuses;
    })();

    let ended = 0;
    const malformedReplies: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const peer = await FakePeer.connect(scp.port);
        for (const chunk of c.chunks) {
          peer.write(chunk);
          if (c.chunks.length > 1 && prng.chance(0.05)) await sleep(1);
        }
        if (c.hangUpAfterMs !== undefined) {
          await sleep(c.hangUpAfterMs);
          peer.destroy();
        }
        try {
          await peer.waitClosed(FUZZ_CLOSE_WITHIN_MS + 1_000);
        } catch (error) {
          peer.destroy();
          throw new Error(`${c.name}: ${(error as Error).message}`, { cause: error });
        }
        if (peer.decodeError !== undefined) malformedReplies.push(c.name);
        ended += 1;
      }
    };
    try {
      await Promise.all(Array.from({ length: PARALLEL }, worker));
    } catch (error) {
      const output = scp.tool
        .output()
        .split('\n')
        .filter((l) => !l.startsWith('{"ending"'));
      throw new Error(`${(error as Error).message}\nSCP process output:\n${output.join('\n')}`, {
        cause: error,
      });
    } finally {
      fuzzing = false;
      clearInterval(sampler);
    }
    const statuses = await legit;
    const elapsed = performance.now() - began;
    const after = processMemory(scp.pid);
    t.diagnostic(
      `${CONNECTIONS} fuzz connections in ${Math.round(elapsed)} ms; ${statuses.length} good C-STOREs ` +
        `meanwhile; RSS ${baseline.rssKb} kB -> peak ${peakRssKb} kB (VmHWM ${after.hwmKb} kB)`,
    );

    assert.equal(scp.tool.child.exitCode, null, `the SCP process died:\n${scp.tool.output()}`);
    assert.equal(ended, CONNECTIONS, 'every connection ended');
    assert.deepEqual(malformedReplies, [], 'the server answered with malformed PDUs');
    assert.ok(
      statuses.length > 0 && statuses.every((s) => s === Status.Success),
      `good stores: ${statuses.join(',')}`,
    );
    assert.ok(elapsed < 30_000, `took ${elapsed} ms`);
    // Bounded memory: a few PDUs per connection, never what a peer declares (2 GB here and there).
    assert.ok(
      peakRssKb - baseline.rssKb < 100 * 1024,
      `RSS grew by ${peakRssKb - baseline.rssKb} kB`,
    );

    // Every connection got its ending reported, nothing is left half-written, echo still works.
    for (let i = 0; scp.endings().length < CONNECTIONS + statuses.length; i++) {
      assert.ok(i < 200, `${scp.endings().length} endings reported`);
      await sleep(20);
    }
    for (let i = 0; tempFilesIn(work).length > 0; i++) {
      assert.ok(i < 100, `temporary files left: ${tempFilesIn(work).join(', ')}`);
      await sleep(20);
    }
    const echo = await runTool('echoscu', [
      '-aet',
      'ECHOSCU',
      '-aec',
      CALLED,
      LOCALHOST,
      String(scp.port),
    ]);
    assert.equal(echo.code, 0, describeResult(echo));
  });
});
