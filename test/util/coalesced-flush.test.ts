// CoalescedFlush, the group commit under the WAL fdatasync and the directory fsyncs: a burst of
// callers shares flushes, and every caller waits for a flush that started after its call.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoalescedFlush } from '../../src/util/coalesced-flush.js';

describe('CoalescedFlush', () => {
  it('a burst during a running flush costs one more flush, started after every call', async () => {
    const started: number[] = [];
    let release: (() => void) | undefined;
    let clock = 0;
    let idle = 0;
    const flush = new CoalescedFlush(
      () =>
        new Promise<void>((resolve) => {
          started.push(++clock);
          release = resolve;
        }),
      () => idle++,
    );
    const first = flush.request();
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(started.length, 1, 'the first flush runs');
    const calledAt = ++clock;
    const burst = [flush.request(), flush.request(), flush.request()];
    assert.equal(new Set(burst).size, 1, 'the burst shares one flush');
    release!();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(started.length, 2, 'one flush for the whole burst');
    assert.ok(started[1]! > calledAt, 'it started after the burst was called');
    release!();
    await Promise.all(burst);
    assert.equal(idle, 1, 'idle once, after the last flush');
    assert.ok(flush.idle, 'nothing running or queued');
  });

  it('a failed flush rejects its callers; the next request flushes again', async () => {
    let fail = true;
    let count = 0;
    const flush = new CoalescedFlush(async () => {
      count++;
      if (fail) throw new Error('EIO');
    });
    await assert.rejects(flush.request(), /EIO/);
    fail = false;
    await flush.request();
    assert.equal(count, 2);
    await flush.settled();
  });
});
