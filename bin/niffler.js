#!/usr/bin/env node
// The compiled CLI lives in dist/bundle/ (built by `npm install` through the `prepare` script:
// tsc, then scripts/bundle.ts, which says why a bundle).
//
// CommonJS on purpose (bin/package.json): an ES module entry makes Node start libuv's thread
// pool (4 threads) while loading it, before any of its code runs. The receiver's fsyncs each
// hold a pool thread for milliseconds, so with 4 threads the opens, writes and links of other
// associations queue behind them; a larger pool (16, unless UV_THREADPOOL_SIZE says otherwise)
// measured about 1.5x the receive throughput (bench/receiver.bench.ts). Set here, before the
// pool exists, it takes effect.
'use strict';
process.env.UV_THREADPOOL_SIZE ??= '16';
import('../dist/bundle/main.js').then(
  async ({ main }) => {
    process.exitCode = await main(process.argv.slice(2));
  },
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
