// The pure layers against real DCMTK on loopback: a thin test driver wires a socket to PduDecoder,
// Association and the negotiation functions. echoscu associates with us, and we with storescp.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  acceptContexts,
  buildAssociateRq,
  negotiated,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
  type AcceptorPolicy,
  type NegotiatedAssociation,
} from '../../src/net/negotiation/index.js';
import {
  decodePdu,
  encodePdu,
  PduDecoder,
  PduError,
  type AAssociateRq,
  type PDataTf,
} from '../../src/net/pdu/index.js';
import {
  Association,
  type AssociationOutput,
  type Clock,
  type Transition,
} from '../../src/net/ul/index.js';
import { golden } from './golden.js';

// scripts/test.sh installs DCMTK; a missing peer is a failure, never a skip.
const HAVE_DCMTK = ['echoscu', 'storescp'].every((tool) => existsSync(`/usr/bin/${tool}`));
const ENV = { ...process.env, TCP_NODELAY: '1' };
const HOST = '127.0.0.1';
const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';

const realClock: Clock = {
  now: () => performance.now(),
  setTimer: (ms, callback) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Wires `socket` to `association`; `onIndication` answers the primitives the user receives. */
function drive(
  socket: net.Socket,
  association: Association,
  onIndication: (output: Extract<AssociationOutput, { kind: 'indicate' }>) => void,
): (outputs: readonly AssociationOutput[]) => void {
  socket.setNoDelay(true);
  const decoder = new PduDecoder();
  const perform = (outputs: readonly AssociationOutput[]): void => {
    for (const output of outputs) {
      switch (output.kind) {
        case 'send':
          for (const part of encodePdu(output.pdu)) socket.write(part);
          break;
        case 'close-transport':
          socket.end();
          break;
        case 'indicate':
          onIndication(output);
          break;
        case 'connect-transport':
        case 'accept-transport':
          break;
      }
    }
  };
  socket.on('data', (chunk: Buffer) => {
    try {
      decoder.push(chunk);
      for (let pdu = decoder.next(); pdu !== undefined; pdu = decoder.next()) {
        perform(association.pduReceived(pdu));
      }
    } catch (error) {
      if (!(error instanceof PduError)) throw error;
      perform(association.invalidPduReceived(error));
    }
  });
  socket.on('close', () => perform(association.transportClosed()));
  socket.on('error', () => undefined);
  return perform;
}

function run(
  command: string,
  args: string[],
): { child: ChildProcess; done: Promise<{ code: number; output: string }> } {
  const child = spawn(command, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<{ code: number; output: string }>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, output })),
  );
  return { child, done };
}

async function listen(onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return server;
}

const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

/** Waits until something listens on `port` (storescp takes a moment to start). */
async function waitForPort(port: number): Promise<void> {
  for (let tries = 0; ; tries++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, HOST, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (tries > 100) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('interop with DCMTK 3.6.7', () => {
  it('DCMTK is installed', () => assert.ok(HAVE_DCMTK, 'install dcmtk (scripts/test.sh does)'));

  const policy: AcceptorPolicy = {
    aeTitle: 'NIFFLER',
    transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
    abstractSyntaxes: [VERIFICATION],
  };

  /** An acceptor answering C-ECHO with storescp's captured C-ECHO-RSP (message ID 1). */
  async function echoAcceptor(
    transitions: Transition[],
    onIdle: () => void = () => undefined,
  ): Promise<net.Server> {
    const echoRsp = decodePdu(golden('storescp-p-data-tf-c-echo-rsp')) as PDataTf;
    return listen((socket) => {
      const association = new Association({
        clock: realClock,
        onTransition: (t) => {
          transitions.push(t);
          if (t.next === 'Sta1') onIdle();
        },
        onTimerOutputs: (outputs) => perform(outputs),
      });
      const perform = drive(socket, association, (indication) => {
        switch (indication.primitive) {
          case 'A-ASSOCIATE indication': {
            const decision = acceptContexts(indication.pdu as AAssociateRq, policy);
            perform(
              decision.kind === 'accept'
                ? association.acceptAssociation(decision.ac)
                : association.rejectAssociation(decision.rj),
            );
            break;
          }
          case 'P-DATA indication':
            perform(association.sendData(echoRsp));
            break;
          case 'A-RELEASE indication':
            perform(association.respondRelease());
            break;
          default:
        }
      });
      perform(association.transportConnectIndication());
    });
  }

  it('echoscu associates with us, echoes and releases', async () => {
    const transitions: Transition[] = [];
    let idle: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (idle = resolve));
    const server = await echoAcceptor(transitions, () => idle());
    try {
      const { code, output } = await run('echoscu', [
        '-aet',
        'DCMTK',
        '-aec',
        'NIFFLER',
        HOST,
        String(portOf(server)),
      ]).done;
      assert.equal(code, 0, output);
      await closed; // the transport close after our A-RELEASE-RP (AR-5)
      assert.deepEqual(
        transitions.map((t) => t.rule),
        ['AE-5', 'AE-6', 'AE-7', 'DT-2', 'DT-1', 'AR-2', 'AR-4', 'AR-5'],
      );
    } finally {
      server.close();
    }
  });

  it('echoscu calling the wrong AE title is rejected with called-AE-title-not-recognized', async () => {
    const server = await echoAcceptor([]);
    try {
      const { code, output } = await run('echoscu', [
        '-aet',
        'DCMTK',
        '-aec',
        'SOMEONE_ELSE',
        HOST,
        String(portOf(server)),
      ]).done;
      assert.notEqual(code, 0);
      assert.match(output, /Called AE Title Not Recognized/i);
    } finally {
      server.close();
    }
  });

  describe('we associate with storescp', () => {
    let storescp: ChildProcess | undefined;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'niffler-storescp-'));
    after(() => {
      storescp?.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    it('negotiates, echoes with a captured C-ECHO-RQ, and releases', async () => {
      const probe = await listen(() => undefined);
      const port = portOf(probe);
      await new Promise((resolve) => probe.close(resolve));
      storescp = run('storescp', ['-aet', 'STORESCP', '-od', dir, String(port)]).child;

      const rq = buildAssociateRq({
        callingAeTitle: 'NIFFLER',
        calledAeTitle: 'STORESCP',
        contexts: [
          { abstractSyntax: VERIFICATION, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES },
          { abstractSyntax: CT, transferSyntaxes: [JPEG_LOSSLESS_SV1] },
          { abstractSyntax: CT, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES },
        ],
        maxPduLength: 32768,
      });
      const echoRq = decodePdu(golden('echoscu-p-data-tf-c-echo-rq')) as PDataTf;

      await waitForPort(port);
      const result = await new Promise<{
        agreed: NegotiatedAssociation;
        echoed: boolean;
        released: boolean;
      }>((resolve, reject) => {
        let agreed: NegotiatedAssociation | undefined;
        let echoed = false;
        const association = new Association({
          clock: realClock,
          onTimerOutputs: (outputs) => perform(outputs),
        });
        const socket = net.connect(port, HOST);
        const perform = drive(socket, association, (indication) => {
          switch (indication.primitive) {
            case 'A-ASSOCIATE confirmation (accept)':
              if (indication.pdu?.type !== 'A-ASSOCIATE-AC') return reject(new Error('no AC'));
              agreed = negotiated(rq, indication.pdu, 'requestor');
              perform(association.sendData(echoRq)); // context 1 is Verification
              break;
            case 'P-DATA indication':
              echoed = true;
              perform(association.requestRelease());
              break;
            case 'A-RELEASE confirmation':
              if (agreed) resolve({ agreed, echoed, released: true });
              break;
            default:
              reject(new Error(`unexpected ${indication.primitive}`));
          }
        });
        socket.once('connect', () => perform(association.transportConnectConfirmation()));
        perform(association.requestAssociation(rq));
      });

      const { agreed, echoed, released } = result;
      assert.ok(echoed && released, 'expected echoed && released');
      assert.equal(agreed.contexts.get(1)?.abstractSyntax, VERIFICATION);
      assert.equal(agreed.maxSendPduLength, 16384, "storescp's default maximum");
      assert.equal(agreed.maxReceivePduLength, 32768);
      assert.equal(agreed.acceptorImplementation.versionName, 'OFFIS_DCMTK_367');
      // storescp does not take JPEG lossless by default, but does take uncompressed CT.
      assert.deepEqual(
        agreed.rejectedContexts.map((c) => [c.id, c.result]),
        [[3, 'transfer-syntaxes-not-supported']],
      );
      assert.equal(agreed.contexts.get(5)?.abstractSyntax, CT);
    });
  });
});
