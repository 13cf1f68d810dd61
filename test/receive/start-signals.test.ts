// `niffler start` and the signals that stop it: a SIGTERM that arrives while the service is still
// starting (the receiver already accepts associations, the HTTP server is not up yet) is honoured
// with a clean shutdown once it is up, never the default action that kills the process.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { waitForPort } from '../helpers/peers.js';
import { freePorts, writeConfig } from '../helpers/receiver.js';
import {
  LOCALHOST,
  makeTempDir,
  NIFFLER_BIN,
  removeDir,
  startTool,
} from '../helpers/scp-harness.js';

let work: string;

before(async () => {
  work = await makeTempDir('start-signals');
});

after(async () => {
  await removeDir(work);
});

it('a SIGTERM as soon as the DICOM port opens: a clean shutdown, exit 0', async () => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const ports = await freePorts();
    const { file } = await writeConfig(work, {
      dicom: { host: LOCALHOST, port: ports.port },
      http: { host: LOCALHOST, port: ports.httpPort },
      storage: { root: path.join(work, `root-${attempt}`) },
    });
    const tool = startTool(process.execPath, [NIFFLER_BIN, 'start', '--config', file], {
      timeoutMs: 60_000,
    });
    // Polled every 2 ms: the signal goes as soon as the receiver listens, while the rest starts.
    await waitForPort(ports.port, { timeoutMs: 20_000, intervalMs: 2, process: tool });
    tool.child.kill('SIGTERM');
    const result = await tool.done;
    assert.equal(result.signal, null, `killed by ${result.signal}: ${tool.output()}`);
    assert.equal(result.code, 0, tool.output().slice(-2000));
    assert.match(tool.output(), /"event":"signal"/, 'the signal was handled');
    assert.match(tool.output(), /"event":"stopped"/, 'the receiver stopped cleanly');
  }
});
