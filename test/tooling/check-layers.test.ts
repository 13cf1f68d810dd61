import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLayers, checkModule, findImports, formatViolation } from '../../scripts/layers.js';

function targets(file: string, source: string): string[] {
  return checkModule(file, source).map((v) => `${v.line} ${v.layer} -> ${v.target}`);
}

describe('check-layers', () => {
  it('finds static, re-export, type-only, dynamic and import-type imports with their lines', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "export * from './c.js';",
      "export { d } from './d.js';",
      "const e = await import('./e.js');",
      "type F = typeof import('./f.js');",
      "import g = require('./g.js');",
      "// import { h } from './h.js';",
      'const s = "import { i } from \'./i.js\'";',
    ].join('\n');
    assert.deepEqual(
      findImports('src/x/y.ts', source).map((i) => `${i.line} ${i.specifier}`),
      ['1 ./a.js', '2 ../b/b.js', '3 ./c.js', '4 ./d.js', '5 ./e.js', '6 ./f.js', '7 ./g.js'],
    );
  });

  it('accepts imports of the same layer, lower layers, config and util', () => {
    const source = [
      "import { parse } from '../dicom/parse.js';",
      "import { Pdu } from '../net/pdu/pdu.js';",
      "import { index } from './index.js';",
      "import { loadConfig } from '../config/schema.js';",
      "import { once } from '../util/once.js';",
      "import { readFile } from 'node:fs/promises';",
      "import { strToU8 } from 'fflate';",
    ].join('\n');
    assert.deepEqual(targets('src/store/files.ts', source), []);
  });

  it('rejects an import of a higher layer, static or dynamic', () => {
    assert.deepEqual(
      targets(
        'src/net/transport/server.ts',
        "import { x } from '../../store/db.js';\nconst m = await import('../../cli/main.js');",
      ),
      ['1 net -> store (../../store/db.js)', '2 net -> cli (../../cli/main.js)'],
    );
  });

  it('rejects I/O built-ins in every pure folder, in any spelling', () => {
    const cases: [string, string][] = [
      ['src/dicom/parse/reader.ts', "import { readFileSync } from 'node:fs';"],
      ['src/dicom/file.ts', "import { open } from 'fs/promises';"],
      ['src/net/pdu/codec.ts', "import * as net from 'net';"],
      ['src/net/ul/fsm.ts', "export { connect } from 'node:tls';"],
      ['src/net/dimse/fragment.ts', "const cp = await import('node:child_process');"],
      ['src/net/negotiation/accept.ts', "import type { Socket } from 'node:dgram';"],
    ];
    for (const [file, source] of cases) {
      const found = checkModule(file, source);
      assert.equal(found.length, 1, `${file}: ${source}`);
      assert.match(found[0]!.layer, /\(pure\)$/);
    }
    // Compute-only built-ins stay allowed, and the impure part of net may do I/O.
    assert.deepEqual(
      targets('src/dicom/deflate.ts', "import { inflateRawSync } from 'node:zlib';"),
      [],
    );
    assert.deepEqual(targets('src/net/transport/tcp.ts', "import net from 'node:net';"), []);
  });

  it('keeps pure net folders away from impure net modules', () => {
    assert.deepEqual(targets('src/net/ul/fsm.ts', "import { T } from '../transport/tcp.js';"), [
      '1 net (pure) -> net/transport/tcp.js, which is not pure (../transport/tcp.js)',
    ]);
    assert.deepEqual(targets('src/net/ul/fsm.ts', "import { P } from '../pdu/types.js';"), []);
  });

  it('lets config import only util, and util nothing else', () => {
    assert.deepEqual(targets('src/config/load.ts', "import { x } from '../util/x.js';"), []);
    assert.deepEqual(targets('src/config/load.ts', "import { x } from '../dicom/tag.js';"), [
      '1 config -> dicom (../dicom/tag.js)',
    ]);
    assert.deepEqual(targets('src/util/x.ts', "import { c } from '../config/schema.js';"), [
      '1 util -> config (../config/schema.js)',
    ]);
  });

  it('rejects unknown layers, the package entry and paths outside src/', () => {
    assert.equal(checkModule('src/misc/x.ts', '').length, 1);
    assert.equal(targets('src/web/x.ts', "import { y } from '../misc/y.js';").length, 1);
    assert.equal(targets('src/web/x.ts', "import { y } from '../index.js';").length, 1);
    assert.equal(targets('src/web/x.ts', "import { y } from '../../test/helpers/y.js';").length, 1);
    assert.deepEqual(targets('src/index.ts', "export * from './cli/main.js';"), []);
    assert.deepEqual(targets('scripts/x.ts', "import fs from 'node:fs';"), []);
  });

  it('sorts violations and formats them as file:line', () => {
    const found = checkLayers([
      { file: 'src/dicom/b.ts', source: "\n\nimport '../net/x.js';" },
      { file: 'src/dicom/a.ts', source: "import 'node:net';" },
    ]);
    assert.deepEqual(found.map(formatViolation), [
      'src/dicom/a.ts:1: dicom (pure) may not import node:net',
      'src/dicom/b.ts:3: dicom (pure) may not import net (../net/x.js)',
    ]);
  });
});
