import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeCommand,
  DimseError,
  encodeCommand,
  Priority,
  type Command,
} from '../../src/net/dimse/command.js';
import { commandPdvs, DatasetFragmenter, maxPdvData } from '../../src/net/dimse/fragment.js';
import { DimseReassembler } from '../../src/net/dimse/reassemble.js';
import { Status, statusCategory } from '../../src/net/dimse/status.js';
import { makeTag } from '../../src/dicom/tag.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';

const commands: { command: Command; hasDataset: boolean }[] = [
  {
    command: { kind: 'C-ECHO-RQ', messageId: 1, affectedSopClassUid: '1.2.840.10008.1.1' },
    hasDataset: false,
  },
  {
    command: {
      kind: 'C-ECHO-RSP',
      messageIdBeingRespondedTo: 1,
      affectedSopClassUid: '1.2.840.10008.1.1',
      status: 0,
    },
    hasDataset: false,
  },
  {
    command: {
      kind: 'C-STORE-RQ',
      messageId: 7,
      affectedSopClassUid: CT,
      affectedSopInstanceUid: '1.2.3.4.5',
      priority: Priority.Medium,
      moveOriginatorAeTitle: 'MOVESCU',
      moveOriginatorMessageId: 3,
    },
    hasDataset: true,
  },
  {
    command: {
      kind: 'C-STORE-RSP',
      messageIdBeingRespondedTo: 7,
      affectedSopClassUid: CT,
      affectedSopInstanceUid: '1.2.3.4.5',
      status: Status.OutOfResources,
      errorComment: 'disk full',
      offendingElements: [makeTag(0x0010, 0x0020)],
    },
    hasDataset: false,
  },
  {
    command: {
      kind: 'C-FIND-RQ',
      messageId: 2,
      affectedSopClassUid: STUDY_ROOT_FIND,
      priority: Priority.Low,
    },
    hasDataset: true,
  },
  {
    command: {
      kind: 'C-MOVE-RQ',
      messageId: 3,
      affectedSopClassUid: STUDY_ROOT_FIND,
      priority: Priority.High,
      moveDestination: 'NIFFLER',
    },
    hasDataset: true,
  },
  {
    command: {
      kind: 'C-GET-RSP',
      messageIdBeingRespondedTo: 4,
      affectedSopClassUid: STUDY_ROOT_FIND,
      status: Status.Pending,
      subOperations: { remaining: 10, completed: 5, failed: 1, warning: 0 },
    },
    hasDataset: false,
  },
  { command: { kind: 'C-CANCEL-RQ', messageIdBeingRespondedTo: 3 }, hasDataset: false },
];

describe('DIMSE command sets (PS3.7 E.1)', () => {
  for (const { command, hasDataset } of commands) {
    test(`${command.kind} round-trips`, () => {
      const bytes = encodeCommand(command, hasDataset);
      // Command Group Length counts every byte after its own element (PS3.7 E.1-1).
      assert.equal(new DataView(bytes.buffer).getUint32(8, true), bytes.length - 12);
      const decoded = decodeCommand(bytes);
      assert.equal(decoded.hasDataset, hasDataset);
      const expected = Object.fromEntries(
        Object.entries(command).filter(([, v]) => v !== undefined),
      );
      const actual = Object.fromEntries(
        Object.entries(decoded.command).filter(([, v]) => v !== undefined),
      );
      if ('subOperations' in decoded.command) {
        actual.subOperations = Object.fromEntries(
          Object.entries(decoded.command.subOperations).filter(([, v]) => v !== undefined),
        );
      }
      assert.deepEqual(actual, expected);
    });
  }

  test('odd-length UIDs are padded with NUL, AE titles with a space', () => {
    const bytes = encodeCommand(commands[2]!.command, true);
    assert.ok(bytes.length % 2 === 0, 'expected bytes.length % 2 === 0');
    const text = Buffer.from(bytes).toString('latin1');
    assert.ok(text.includes('1.2.3.4.5\0'), "expected text.includes('1.2.3.4.5\\0')");
    assert.ok(text.includes('MOVESCU '), "expected text.includes('MOVESCU ')");
  });

  test('an unknown command field is a typed error', () => {
    const bytes = encodeCommand(commands[0]!.command, false);
    // Command Field is the element after Affected SOP Class UID: patch its value.
    const view = new DataView(bytes.buffer);
    for (let at = 12; at < bytes.length;) {
      const element = view.getUint16(at + 2, true);
      const length = view.getUint32(at + 4, true);
      if (element === 0x0100) view.setUint16(at + 8, 0x1234, true);
      at += 8 + length;
    }
    assert.throws(
      () => decodeCommand(bytes),
      (e) => e instanceof DimseError && e.code === 'UNKNOWN_COMMAND',
    );
  });

  test('a command set out of the usual form is read by the data set parser', () => {
    const { command, hasDataset } = commands[2]!;
    const bytes = encodeCommand(command, hasDataset);
    // The elements after the group length, in reverse order: still a readable command set.
    const elements: Uint8Array[] = [];
    const view = new DataView(bytes.buffer);
    for (let at = 12; at < bytes.length;) {
      const end = at + 8 + view.getUint32(at + 4, true);
      elements.push(bytes.subarray(at, end));
      at = end;
    }
    const reversed = Buffer.concat([bytes.subarray(0, 12), ...elements.reverse()]);
    assert.deepEqual(decodeCommand(reversed), decodeCommand(bytes));
    assert.equal(decodeCommand(bytes).command.kind, 'C-STORE-RQ');
    // A value running past the end: an error that says the command set is unreadable.
    const truncated = bytes.subarray(0, bytes.length - 1);
    assert.throws(
      () => decodeCommand(truncated),
      (e) =>
        e instanceof DimseError &&
        e.code === 'MALFORMED_COMMAND' &&
        e.message.startsWith('unreadable command set'),
    );
  });

  test('garbage is a typed error', () => {
    assert.throws(() => decodeCommand(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), DimseError);
    assert.throws(() => decodeCommand(new Uint8Array(0)), DimseError);
  });

  test('status categories', () => {
    assert.equal(statusCategory(Status.Success), 'success');
    assert.equal(statusCategory(Status.Pending), 'pending');
    assert.equal(statusCategory(Status.PendingWarning), 'pending');
    assert.equal(statusCategory(Status.Cancel), 'cancel');
    assert.equal(statusCategory(0xb007), 'warning');
    assert.equal(statusCategory(Status.OutOfResources), 'failure');
    assert.equal(statusCategory(0xc123), 'failure');
  });
});

describe('fragmenting and reassembling', () => {
  test('PDV data fits the peer maximum length', () => {
    assert.equal(maxPdvData(16384), 16378);
    assert.ok(maxPdvData(0) > 16384, 'expected maxPdvData(0) > 16384');
  });

  test('a data set in chunks of any size becomes full PDVs and one last PDV', () => {
    const data = new Uint8Array(10_000).map((_, i) => i & 0xff);
    for (const chunkSize of [1, 7, 100, 999, 1000, 1001, 10_000]) {
      const fragmenter = new DatasetFragmenter(3, 1000);
      const pdvs = [];
      for (let at = 0; at < data.length; at += chunkSize) {
        pdvs.push(...fragmenter.push(data.subarray(at, at + chunkSize)));
      }
      pdvs.push(fragmenter.end());
      assert.equal(pdvs.length, 10, `chunk ${chunkSize}`);
      assert.ok(
        pdvs.slice(0, -1).every((p) => !p.last && p.data.length === 1000),
        'expected pdvs.slice(0, -1).every((p) => !p.last && p.data.length === 1000)',
      );
      assert.equal(pdvs.at(-1)!.last, true);
      assert.deepEqual(Buffer.concat(pdvs.map((p) => p.data)), Buffer.from(data));
    }
  });

  test('an empty data set is one empty last PDV', () => {
    const pdv = new DatasetFragmenter(1, 100).end();
    assert.equal(pdv.last, true);
    assert.equal(pdv.data.length, 0);
  });

  test('command and data set PDVs reassemble into events, the data set streamed', () => {
    const store = commands[2]!;
    const command = encodeCommand(store.command, true);
    const reassembler = new DimseReassembler();
    const events = [];
    for (const pdv of commandPdvs(5, command, 16)) events.push(...reassembler.accept(pdv));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'command');
    assert.equal(reassembler.inDataset, true);
    const fragmenter = new DatasetFragmenter(5, 4);
    const pdvs = [...fragmenter.push(new Uint8Array(10)), fragmenter.end()];
    const data = pdvs.flatMap((pdv) => reassembler.accept(pdv));
    assert.deepEqual(
      data.map((e) => (e.type === 'dataset' ? [e.data.length, e.last] : e.type)),
      [
        [4, false],
        [4, false],
        [2, true],
      ],
    );
    assert.equal(reassembler.inDataset, false);
  });

  test('out-of-order fragments are typed errors', () => {
    const reassembler = new DimseReassembler();
    assert.throws(
      () =>
        reassembler.accept({
          presentationContextId: 1,
          command: false,
          last: true,
          data: new Uint8Array(2),
        }),
      DimseError,
    );
    const command = encodeCommand(commands[2]!.command, true);
    reassembler.accept({ presentationContextId: 1, command: true, last: true, data: command });
    assert.throws(
      () =>
        reassembler.accept({
          presentationContextId: 3,
          command: false,
          last: true,
          data: new Uint8Array(2),
        }),
      DimseError,
    );
  });

  test('an endless command set is refused', () => {
    const reassembler = new DimseReassembler();
    const chunk = {
      presentationContextId: 1,
      command: true,
      last: false,
      data: new Uint8Array(16384),
    };
    assert.throws(() => {
      for (let i = 0; i < 10; i++) reassembler.accept(chunk);
    }, DimseError);
  });
});
