// `niffler start` and the signals that stop it: a SIGTERM that arrives while the service is still
// starting (the receiver already accepts associations, the HTTP server is not up yet) is honoured
// with a clean shutdown once it is up, never the default action that kills the process.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, it } from 'node:test';
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

/** Resolves once `port` accepts a connection, trying every 2 ms. */
async function firstAccept(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, LOCALHOST, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} never opened`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

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
    await firstAccept(ports.port, 20_000);
    tool.child.kill('SIGTERM');
    const result = await tool.done;
    assert.equal(result.signal, null, `killed by ${result.signal}: ${tool.output()}`);
    assert.equal(result.code, 0, tool.output().slice(-2000));
    assert.match(tool.output(), /"event":"signal"/, 'the signal was handled');
    assert.match(tool.output(), /"event":"stopped"/, 'the receiver stopped cleanly');
  }
});
