// store-scp's option checks and start-up failures, through the built CLI: a bad --workers value or
// a port already taken is one clear line and a non-zero exit, with or without workers.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { it } from 'node:test';
import { LOCALHOST, startStoreScpCli } from '../helpers/scp-harness.js';

for (const value of ['0', '65', '1.5', 'two']) {
  it(`store-scp --workers ${value} is refused with the accepted range`, async () => {
    const result = await startStoreScpCli('NIFFLER', 0, 'unused', ['--workers', value]).done;
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      new RegExp(`'${value.replace('.', '\\.')}' is not a number of workers \\(1-64\\)`),
    );
  });
}

for (const [option, value, range] of [
  ['--max-pdu', 'abc', 'a PDU length \\(1-4294967295\\)'],
  ['--max-pdu', '0', 'a PDU length \\(1-4294967295\\)'],
  ['--max-associations', '0x', 'a number of associations \\(1-65535\\)'],
  ['--port', '', 'a TCP port \\(0-65535\\)'],
] as const) {
  it(`store-scp ${option} '${value}' is refused with the accepted range, no stack`, async () => {
    const result = await startStoreScpCli('NIFFLER', 0, 'unused', [option, value]).done;
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, new RegExp(`'${value}' is not ${range}`));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
}

for (const workers of ['1', '2']) {
  it(`store-scp --workers ${workers} on a port already taken exits 1 with one line, no stack`, async () => {
    const taken = createServer();
    await new Promise<void>((listening) => taken.listen(0, LOCALHOST, listening));
    const { port } = taken.address() as { port: number };
    try {
      const result = await startStoreScpCli('NIFFLER', port, 'unused', ['--workers', workers], {
        timeoutMs: 20_000,
      }).done;
      assert.equal(result.timedOut, false, 'it exits rather than waiting for its workers');
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`cannot listen on ${LOCALHOST}:${port} \\(EADDRINUSE\\)`),
      );
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      taken.close();
    }
  });
}
