// Issue 3, SCP side: TLS (PS3.15 B.1) against DCMTK's +tls/+tla. A throwaway CA, server and
// client certificates are made with the openssl CLI for each run. Our server with key + cert
// answers echoscu and storescu over TLS; with ca + requestCert (mutual TLS) a client without a
// certificate, or with one from another CA, is refused while a client with ours gets through.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../../src/dicom/transfer-syntax.js';
import {
  describeResult,
  filesBySopInstance,
  freePort,
  LOCALHOST,
  makeCertificates,
  makeTempDir,
  pickInstances,
  readPart10,
  removeDir,
  runTool,
  startStoreScpCli,
  startTestScp,
  type TestCertificates,
  type TestScp,
  tlsOptions,
  waitForPort,
} from '../helpers/scp-harness.js';

const CALLED = 'NIFFLER';

describe('TLS against DCMTK 3.6.7 (+tls, +tla)', () => {
  let work: string;
  let certs: TestCertificates;
  let server: TestScp;
  let mutual: TestScp;

  before(async () => {
    work = await makeTempDir('scp-tls');
    certs = await makeCertificates(work);
    server = await startTestScp({ aeTitle: CALLED, tls: tlsOptions(certs, false) });
    mutual = await startTestScp({ aeTitle: CALLED, tls: tlsOptions(certs, true) });
  });

  after(async () => {
    await server?.close();
    await mutual?.close();
    if (work !== undefined) await removeDir(work);
  });

  const echo = (port: number, tls: readonly string[]) =>
    runTool('echoscu', ['-v', ...tls, '-aet', 'ECHOSCU', '-aec', CALLED, LOCALHOST, String(port)]);

  it('echoscu +tla +cf CA: C-ECHO over TLS, the server certificate verified', async () => {
    const result = await echo(server.port, ['+tla', '+cf', certs.caCert]);
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stdout + result.stderr, /Received Echo Response \(Success\)/);
  });

  it('echoscu without TLS cannot talk to the TLS server, which keeps serving', async () => {
    const plain = await echo(server.port, []);
    assert.notEqual(plain.code, 0, describeResult(plain));
    const again = await echo(server.port, ['+tla', '+cf', certs.caCert]);
    assert.equal(again.code, 0, describeResult(again));
  });

  it('storescu +tla: files arrive over TLS with their data sets byte-identical', async () => {
    const instances = pickInstances(
      [EXPLICIT_VR_LITTLE_ENDIAN],
      4,
      (i) => Number(i.row.size_bytes) < 1e6,
    );
    const result = await runTool('storescu', [
      '-R',
      '+tla',
      '+cf',
      certs.caCert,
      '-aet',
      'STORESCU',
      '-aec',
      CALLED,
      LOCALHOST,
      String(server.port),
      ...instances.map((i) => i.path),
    ]);
    assert.equal(result.code, 0, describeResult(result));
    const received = filesBySopInstance(server.directory);
    for (const instance of instances) {
      const file = received.get(instance.sopInstanceUid);
      assert.ok(file, `${instance.name} not received`);
      // storescu -R re-sends these explicit LE files unchanged (checked in scp-dcmtk.test.ts).
      assert.ok(file.datasetBytes.equals(readPart10(instance.path).datasetBytes), instance.name);
    }
  });

  it('mutual TLS: a client certificate from our CA is accepted', async () => {
    const result = await echo(mutual.port, [
      '+tls',
      certs.clientKey,
      certs.clientCert,
      '+cf',
      certs.caCert,
    ]);
    assert.equal(result.code, 0, describeResult(result));
  });

  it('mutual TLS: a client without a certificate is refused', async () => {
    const result = await echo(mutual.port, ['+tla', '+cf', certs.caCert]);
    assert.notEqual(result.code, 0, describeResult(result));
    assert.doesNotMatch(result.stdout + result.stderr, /Association Accepted/);
  });

  it('mutual TLS: a client certificate from another CA is refused', async () => {
    const result = await echo(mutual.port, [
      '+tls',
      certs.strangerKey,
      certs.strangerCert,
      '+cf',
      certs.caCert,
    ]);
    assert.notEqual(result.code, 0, describeResult(result));
    assert.doesNotMatch(result.stdout + result.stderr, /Association Accepted/);
    // ...and the server still serves the right client.
    const ok = await echo(mutual.port, [
      '+tls',
      certs.clientKey,
      certs.clientCert,
      '+cf',
      certs.caCert,
    ]);
    assert.equal(ok.code, 0, describeResult(ok));
  });

  it('niffler store-scp --tls-key --tls-cert --tls-ca: mutual TLS from the CLI', async () => {
    const port = await freePort();
    const out = path.join(work, 'cli-out');
    const cli = startStoreScpCli(CALLED, port, out, [
      '--tls-key',
      certs.serverKey,
      '--tls-cert',
      certs.serverCert,
      '--tls-ca',
      certs.caCert,
    ]);
    try {
      await waitForPort(port, 10_000, cli);
      const refused = await echo(port, ['+tla', '+cf', certs.caCert]);
      assert.notEqual(refused.code, 0, describeResult(refused));
      const [instance] = pickInstances([EXPLICIT_VR_LITTLE_ENDIAN], 1);
      const sent = await runTool('storescu', [
        '-R',
        '+tls',
        certs.clientKey,
        certs.clientCert,
        '+cf',
        certs.caCert,
        '-aet',
        'STORESCU',
        '-aec',
        CALLED,
        LOCALHOST,
        String(port),
        instance!.path,
      ]);
      assert.equal(sent.code, 0, describeResult(sent));
      const file = filesBySopInstance(out).get(instance!.sopInstanceUid);
      assert.ok(
        file?.datasetBytes.equals(readPart10(instance!.path).datasetBytes),
        'expected file?.datasetBytes.equals(readPart10(instance!.path).datasetBytes)',
      );
    } finally {
      const result = await cli.stop();
      assert.equal(result.code, 0, describeResult(result));
    }
  });
});
