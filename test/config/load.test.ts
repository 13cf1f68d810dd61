import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ConfigError,
  databaseTarget,
  loadConfig,
  redactConfig,
  REDACTED,
} from '../../src/config/index.js';

const workspace = mkdtempSync(path.join(tmpdir(), 'niffler-config-'));
after(() => rmSync(workspace, { recursive: true, force: true }));

let counter = 0;
/** Writes `text` to a new file `name` in a fresh directory; returns its absolute path. */
function writeConfig(name: string, text: string): string {
  const dir = path.join(workspace, `case-${++counter}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Runs `fn`, which must throw a ConfigError; returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError, nothing was thrown');
}

describe('defaults', () => {
  test('no file: the embedded defaults of issue 4', () => {
    const cwd = path.join(workspace, 'cwd');
    const { config, warnings, file } = loadConfig({ env: {}, cwd });
    assert.equal(file, undefined);
    assert.deepEqual(warnings, []);
    assert.equal(config.dicom.aeTitle, 'NIFFLER');
    assert.equal(config.dicom.port, 11112);
    assert.equal(config.dicom.allowedPeers, null);
    assert.equal(config.storage.root, path.join(cwd, 'niffler-data'));
    assert.equal(config.storage.pathTemplate, '{00100020}/{0020000D}/{0020000E}/{00080018}.dcm');
    assert.equal(config.http.host, '127.0.0.1');
    assert.equal(config.http.port, 8080);
    assert.equal(config.http.enabled, true);
    assert.equal(config.database.url, null);
    assert.deepEqual(databaseTarget(config), {
      kind: 'sqlite',
      file: path.join(cwd, 'niffler-data', 'index.sqlite'),
    });
    assert.equal(config.retention.nightlyAt, '23:59');
    assert.equal(config.completion.quietSeconds, 60);
    assert.equal(config.jobs.maxAttempts, 5);
    assert.equal(config.logging.includePhi, false);
  });

  test('an empty file is all defaults', () => {
    const file = writeConfig('empty.yaml', '');
    const { config } = loadConfig({ file, env: {} });
    assert.equal(config.dicom.port, 11112);
  });
});

describe('files', () => {
  test('YAML', () => {
    const file = writeConfig(
      'niffler.yaml',
      [
        'dicom:',
        '  aeTitle: RESEARCH',
        '  port: 4242',
        '  allowedPeers:',
        '    - aeTitle: MAIN_PACS',
        '      host: 10.0.0.5',
        '    - aeTitle: CT1',
        'storage:',
        '  duplicates: replace',
        '  minFreeBytes: 10GiB',
        'retrieve:',
        '  pacs:',
        '    main: MAIN_PACS@pacs.example.org:104',
        '',
      ].join('\n'),
    );
    const { config, file: loaded } = loadConfig({ file, env: {} });
    assert.equal(loaded, file);
    assert.equal(config.dicom.aeTitle, 'RESEARCH');
    assert.equal(config.dicom.port, 4242);
    assert.deepEqual(config.dicom.allowedPeers, [
      { aeTitle: 'MAIN_PACS', host: '10.0.0.5' },
      { aeTitle: 'CT1', host: null },
    ]);
    assert.equal(config.storage.duplicates, 'replace');
    assert.equal(config.storage.minFreeBytes, 10 * 2 ** 30);
    assert.deepEqual(config.retrieve.pacs.main, {
      aeTitle: 'MAIN_PACS',
      host: 'pacs.example.org',
      port: 104,
      tls: null,
      maxConcurrent: 2,
      studiesPerRequest: 16,
      maxPerMinute: null,
      window: null,
    });
  });

  test('JSON', () => {
    const file = writeConfig(
      'niffler.json',
      JSON.stringify({ dicom: { port: 104 }, logging: { level: 'debug', format: 'pretty' } }),
    );
    const { config } = loadConfig({ file, env: {} });
    assert.equal(config.dicom.port, 104);
    assert.equal(config.logging.level, 'debug');
    assert.equal(config.logging.format, 'pretty');
  });

  test('format by content when the extension says nothing', () => {
    const json = writeConfig('niffler.conf', '{ "http": { "port": 9090 } }');
    assert.equal(loadConfig({ file: json, env: {} }).config.http.port, 9090);
    const yaml = writeConfig('niffler.conf', 'http:\n  port: 9091\n');
    assert.equal(loadConfig({ file: yaml, env: {} }).config.http.port, 9091);
  });

  test('YAML 1.2: "yes" is a string, not a boolean', () => {
    const file = writeConfig('yes.yaml', 'storage:\n  fsync: yes\n');
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.equal(error.problems[0]?.path, 'storage.fsync');
  });

  test('NIFFLER_CONFIG names the file when none is given', () => {
    const file = writeConfig('env.yaml', 'dicom:\n  port: 5555\n');
    assert.equal(loadConfig({ env: { NIFFLER_CONFIG: file } }).config.dicom.port, 5555);
  });

  test('a missing file is CONFIG_UNREADABLE', () => {
    const error = configError(() =>
      loadConfig({ file: path.join(workspace, 'nope.yaml'), env: {} }),
    );
    assert.equal(error.code, 'CONFIG_UNREADABLE');
    assert.match(error.message, /nope\.yaml.*ENOENT/);
  });

  test('YAML syntax errors name the line', () => {
    const file = writeConfig('broken.yaml', 'dicom:\n  port: 1\n  port: 2\n');
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.match(error.message, /broken\.yaml:3: invalid YAML/);
  });

  test('JSON syntax errors name the line', () => {
    const file = writeConfig('broken.json', '{\n  "dicom": {\n    "port": 1,\n  }\n}\n');
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.match(error.message, /broken\.json:4: invalid JSON/);
  });

  test('a file that is not a mapping', () => {
    const file = writeConfig('list.yaml', '- a\n- b\n');
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.match(error.message, /mapping of sections/);
  });
});

describe('validation errors', () => {
  test('every problem is reported at once, each with its path and line', () => {
    const file = writeConfig(
      'bad.yaml',
      [
        'dicom:', // 1
        '  port: 70000', // 2
        '  aeTitle: THIS_AE_TITLE_IS_TOO_LONG', // 3
        '  allowedPeers:', // 4
        '    - host: 10.0.0.1', // 5
        'storage:', // 6
        '  duplicates: keep-last', // 7
        '  pathTemplate: "{00100020}/{0020000D}.dcm"', // 8
        'retention:', // 9
        '  policy: age', // 10
        'retrieve:', // 11
        '  pacs:', // 12
        '    main:', // 13
        '      aeTitle: PACS', // 14
        '      host: pacs', // 15
        '      port: 104', // 16
        "      window: '25:00-07:00'", // 17
        '',
      ].join('\n'),
    );
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    const byPath = new Map(error.problems.map((p) => [p.path, p]));
    const expected: [string, number, RegExp][] = [
      ['dicom.port', 2, /65535/],
      ['dicom.aeTitle', 3, /at most 16 characters/],
      ['dicom.allowedPeers[0].aeTitle', 5, /required/],
      ['storage.duplicates', 7, /keep-first/],
      ['storage.pathTemplate', 8, /SOP Instance UID/],
      ['retention.maxAgeDays', 9, /required when policy is "age"/],
      ['retrieve.pacs.main.window', 17, /HH:MM-HH:MM/],
    ];
    for (const [key, line, message] of expected) {
      const problem = byPath.get(key);
      assert.ok(problem, `no problem reported for ${key}: ${error.message}`);
      assert.match(problem.message, message);
      assert.deepEqual(problem.source, { kind: 'file', file, line });
      assert.ok(error.message.includes(`${file}:${line}: ${key}: `), error.message);
    }
    assert.equal(error.problems.length, expected.length, error.message);
    assert.match(error.message, /7 problems/);
  });

  test('unknown keys are errors, with a suggestion for a near miss', () => {
    const file = writeConfig(
      'typo.yaml',
      'dicom:\n  prot: 11113\n  ae_title: X\nstorag:\n  root: x\nhttp:\n  zzzzzz: 1\n',
    );
    const error = configError(() => loadConfig({ file, env: {} }));
    const messages = Object.fromEntries(error.problems.map((p) => [p.path, p.message]));
    assert.equal(messages['dicom.prot'], 'unknown key; did you mean "port"?');
    assert.equal(messages['dicom.ae_title'], 'unknown key; did you mean "aeTitle"?');
    assert.equal(messages.storag, 'unknown key; did you mean "storage"?');
    assert.match(messages['http.zzzzzz'] ?? '', /^unknown key \(known keys: enabled, host, port/);
    const prot = error.problems.find((p) => p.path === 'dicom.prot');
    assert.deepEqual(prot?.source, { kind: 'file', file, line: 2 });
  });

  test("the original Niffler's keys are recognised as such", () => {
    const file = writeConfig('system.json', JSON.stringify({ SrcAet: 'A@b:104' }));
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.match(error.problems[0]?.message ?? '', /original Niffler/);
  });

  test('http on a non-loopback address needs a token', () => {
    const file = writeConfig('http.yaml', 'http:\n  host: 0.0.0.0\n');
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.equal(error.problems[0]?.path, 'http.authToken');
    assert.match(error.problems[0]?.message ?? '', /NIFFLER_SECRET_HTTP_AUTH_TOKEN/);
    const token = 'a-long-enough-token-value';
    const ok = loadConfig({ file, env: { NIFFLER_SECRET_HTTP_AUTH_TOKEN: token } });
    assert.equal(ok.config.http.authToken, token);
    // Loopback, or http disabled: no token needed.
    assert.doesNotThrow(() => loadConfig({ env: { NIFFLER__HTTP__HOST: '::1' } }));
    assert.doesNotThrow(() => loadConfig({ file, env: { NIFFLER__HTTP__ENABLED: 'false' } }));
  });

  test('a rejected secret is never echoed', () => {
    const file = writeConfig('short.yaml', 'export:\n  pseudonymKey: tooshort\n');
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.equal(error.problems[0]?.path, 'export.pseudonymKey');
    assert.ok(!error.message.includes('tooshort'), error.message);
  });
});

describe('environment overrides', () => {
  test('NIFFLER__SECTION__KEY, values read as JSON where the key is not text', () => {
    const file = writeConfig(
      'base.yaml',
      'dicom:\n  port: 104\nretrieve:\n  pacs:\n    Main: A@h:104\n',
    );
    const { config } = loadConfig({
      file,
      env: {
        NIFFLER__DICOM__PORT: '11113',
        NIFFLER__DICOM__AE_TITLE: '1234', // text: stays a string
        NIFFLER__STORAGE__FSYNC: 'false',
        NIFFLER__SMTP__HOST: 'mail.example.org',
        NIFFLER__SMTP__FROM: 'niffler@example.org',
        NIFFLER__SMTP__TO: '["a@example.org","b@example.org"]',
        NIFFLER__RETENTION__TIMEZONE: 'null',
        NIFFLER__DICOM__ALLOWED_PEERS: '[{"aeTitle":"PACS"}]',
        NIFFLER__RETRIEVE__PACS__MAIN__WINDOW: '19:00-07:00', // matches "Main" in the file
        NIFFLER__RETRIEVE__PACS__ARCHIVE: 'ARCH@archive:11112', // a new entry
        NIFFLER__LOGGING: '{"level":"warn"}',
        NIFFLER__LOGGING__FORMAT: 'pretty', // deeper: applies on top of the section
      },
    });
    assert.equal(config.dicom.port, 11113);
    assert.equal(config.dicom.aeTitle, '1234');
    assert.equal(config.storage.fsync, false);
    assert.deepEqual(config.smtp.to, ['a@example.org', 'b@example.org']);
    assert.equal(config.retention.timezone, null);
    assert.deepEqual(config.dicom.allowedPeers, [{ aeTitle: 'PACS', host: null }]);
    assert.equal(config.retrieve.pacs.Main?.window, '19:00-07:00');
    assert.equal(config.retrieve.pacs.Main?.aeTitle, 'A');
    assert.equal(config.retrieve.pacs.ARCHIVE?.host, 'archive');
    assert.equal(config.logging.level, 'warn');
    assert.equal(config.logging.format, 'pretty');
  });

  test('NIFFLER_DATABASE_URL selects PostgreSQL', () => {
    const url = 'postgres://niffler@db.example.org:5432/niffler';
    const { config } = loadConfig({
      env: { NIFFLER_DATABASE_URL: url, NIFFLER_SECRET_DATABASE_PASSWORD: 'pw' },
    });
    assert.equal(config.database.url, url);
    assert.deepEqual(databaseTarget(config), { kind: 'postgres', url, password: 'pw' });
  });

  test('NIFFLER_DATABASE_URL and NIFFLER__DATABASE__URL must agree', () => {
    const error = configError(() =>
      loadConfig({
        env: {
          NIFFLER_DATABASE_URL: 'postgres://a/x',
          NIFFLER__DATABASE__URL: 'postgres://b/x',
        },
      }),
    );
    assert.match(error.message, /disagree/);
  });

  test('unknown names, lists and bad values are errors naming the variable', () => {
    const error = configError(() =>
      loadConfig({
        env: {
          NIFFLER__DICOM__PROT: '1',
          NIFFLER__SMTP__TO__0: 'a@example.org',
          NIFFLER__JOBS__MAX_ATTEMPTS: '0',
          NIFFLER__DICOM__PORT__X: '1',
        },
      }),
    );
    const lines = error.message.split('\n').slice(1);
    assert.equal(lines.length, 4, error.message);
    assert.ok(
      lines.some((l) => /did you mean NIFFLER__DICOM__PORT\?.*NIFFLER__DICOM__PROT\)$/.test(l)),
      'expected lines.some((l) => /did you mean NIFFLER__DICOM__PORT\\?.*NIFFLER__DICOM__PROT\\)$/.test(l))',
    );
    assert.ok(
      lines.some((l) => /smtp\.to is a list: set it whole, as JSON/.test(l)),
      'expected lines.some((l) => /smtp\\.to is a list: set it whole, as JSON/.test(l))',
    );
    assert.ok(
      lines.some((l) =>
        /^ {2}jobs\.maxAttempts: .*got 0 \(environment variable NIFFLER__JOBS__MAX_ATTEMPTS\)$/.test(
          l,
        ),
      ),
      'expected lines.some((l) => /^ {2}jobs\\.maxAttempts: .*got 0 \\(environment variable NIFFLER__JOBS...',
    );
    assert.ok(
      lines.some((l) => /dicom\.port has no keys below it/.test(l)),
      'expected lines.some((l) => /dicom\\.port has no keys below it/.test(l))',
    );
  });

  test('file and environment problems are reported together', () => {
    const file = writeConfig('both.yaml', 'dicom:\n  port: -1\n');
    const error = configError(() => loadConfig({ file, env: { NIFFLER__HTTP__PORT: 'x' } }));
    assert.deepEqual(error.problems.map((p) => p.path).sort(), ['dicom.port', 'http.port']);
    const http = error.problems.find((p) => p.path === 'http.port');
    assert.deepEqual(http?.source, { kind: 'env', variable: 'NIFFLER__HTTP__PORT' });
  });
});

describe('secrets', () => {
  test('from the environment', () => {
    const { config, warnings } = loadConfig({
      env: {
        NIFFLER_SECRET_DATABASE_PASSWORD: 'pg-secret',
        NIFFLER_SECRET_SMTP_PASSWORD: 'smtp-secret',
        NIFFLER_SECRET_EXPORT_PSEUDONYM_KEY: '0123456789abcdef0123',
      },
    });
    assert.equal(config.database.password, 'pg-secret');
    assert.equal(config.smtp.password, 'smtp-secret');
    assert.equal(config.export.pseudonymKey, '0123456789abcdef0123');
    assert.deepEqual(warnings, []);
  });

  test('from a file, relative to the config file, trailing newline dropped', () => {
    const file = writeConfig('secrets.yaml', 'database:\n  passwordFile: secrets/pg\n');
    mkdirSync(path.join(path.dirname(file), 'secrets'));
    writeFileSync(path.join(path.dirname(file), 'secrets', 'pg'), 'from-file\n');
    const { config, warnings } = loadConfig({ file, env: {} });
    assert.equal(config.database.password, 'from-file');
    assert.equal(config.database.passwordFile, path.join(path.dirname(file), 'secrets', 'pg'));
    assert.deepEqual(warnings, []);
    // The environment wins over the file.
    const env = loadConfig({ file, env: { NIFFLER_SECRET_DATABASE_PASSWORD: 'from-env' } });
    assert.equal(env.config.database.password, 'from-env');
  });

  test('an unreadable or empty secret file is an error naming the key', () => {
    const file = writeConfig(
      'missing.yaml',
      'database:\n  passwordFile: nope\nsmtp:\n  passwordFile: empty\n',
    );
    writeFileSync(path.join(path.dirname(file), 'empty'), '\n');
    const error = configError(() => loadConfig({ file, env: {} }));
    const byPath = new Map(error.problems.map((p) => [p.path, p.message]));
    assert.match(byPath.get('database.passwordFile') ?? '', /cannot read .*ENOENT/);
    assert.match(byPath.get('smtp.passwordFile') ?? '', /is empty/);
    assert.equal(error.problems.find((p) => p.path === 'smtp.passwordFile')?.source.kind, 'file');
  });

  test('a secret written in the config file works, with a warning', () => {
    const file = writeConfig('literal.yaml', 'smtp:\n  password: hunter2\n');
    const { config, warnings } = loadConfig({ file, env: {} });
    assert.equal(config.smtp.password, 'hunter2');
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0] ?? '',
      /literal\.yaml:2: smtp\.password: a secret written in the config file/,
    );
    assert.match(warnings[0] ?? '', /NIFFLER_SECRET_SMTP_PASSWORD/);
    assert.ok(!warnings[0]?.includes('hunter2'), "expected !warnings[0]?.includes('hunter2')");
  });

  test('both a value and a file is an error', () => {
    const file = writeConfig('twice.yaml', 'smtp:\n  password: a\n  passwordFile: b\n');
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.match(error.message, /smtp\.password: give either smtp\.password or smtp\.passwordFile/);
  });

  test('a password inside a database URL in the file draws a warning', () => {
    const file = writeConfig('url.yaml', 'database:\n  url: postgres://u:pw@db/niffler\n');
    const { warnings } = loadConfig({ file, env: {} });
    assert.match(warnings.join('\n'), /url\.yaml:2: database\.url: the URL carries a password/);
  });

  test('a misspelt NIFFLER_SECRET_ variable draws a warning', () => {
    const { warnings } = loadConfig({ env: { NIFFLER_SECRET_DATABASE_PASWORD: 'x' } });
    assert.match(warnings.join('\n'), /did you mean NIFFLER_SECRET_DATABASE_PASSWORD\?/);
  });

  test('redactConfig hides every secret and the URL password', () => {
    const { config } = loadConfig({
      env: {
        NIFFLER_DATABASE_URL: 'postgres://u:pw@db/niffler',
        NIFFLER_SECRET_SMTP_PASSWORD: 'smtp-secret',
      },
    });
    const shown = redactConfig(config);
    assert.equal(shown.smtp.password, REDACTED);
    assert.equal(shown.database.password, null);
    assert.equal(shown.database.url, 'postgres://u:redacted@db/niffler');
    assert.ok(
      !JSON.stringify(shown).includes('smtp-secret'),
      "expected !JSON.stringify(shown).includes('smtp-secret')",
    );
    assert.equal(config.smtp.password, 'smtp-secret'); // the original is untouched
  });
});

describe('the loaded configuration', () => {
  test('is deeply frozen: mutation throws', () => {
    const { config } = loadConfig({ env: {} });
    assert.ok(Object.isFrozen(config), 'expected Object.isFrozen(config)');
    assert.ok(
      Object.isFrozen(config.dicom.queryRetrieve.moveDestinations),
      'expected Object.isFrozen(config.dicom.queryRetrieve.moveDestinations)',
    );
    assert.throws(() => {
      (config.dicom as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => {
      (config.smtp.to as string[]).push('x@example.org');
    }, TypeError);
    assert.throws(() => {
      (config as unknown as Record<string, unknown>).extra = 1;
    }, TypeError);
  });

  test('relative paths: file values and defaults against the file, environment against cwd', () => {
    const file = writeConfig(
      'paths.yaml',
      [
        'featuresets:',
        '  directory: conf',
        '  files: [extra/one.txt, /abs/two.txt]',
        'dicom:',
        '  tls:',
        '    certFile: tls/cert.pem',
        '    keyFile: tls/key.pem',
        '',
      ].join('\n'),
    );
    const dir = path.dirname(file);
    const cwd = path.join(workspace, 'elsewhere');
    const { config } = loadConfig({
      file,
      cwd,
      env: { NIFFLER__DICOM__TLS__CA_FILE: 'ca.pem' },
    });
    assert.equal(config.featuresets.directory, path.join(dir, 'conf'));
    assert.deepEqual(config.featuresets.files, [path.join(dir, 'extra/one.txt'), '/abs/two.txt']);
    assert.equal(config.dicom.tls?.certFile, path.join(dir, 'tls/cert.pem'));
    assert.equal(config.dicom.tls?.caFile, path.join(cwd, 'ca.pem'));
    assert.equal(config.storage.root, path.join(dir, 'niffler-data')); // the default
    const fromEnv = loadConfig({ file, cwd, env: { NIFFLER__STORAGE__ROOT: 'data' } });
    assert.equal(fromEnv.config.storage.root, path.join(cwd, 'data'));
  });

  test('loading reads nothing from process.env when env is given', () => {
    process.env.NIFFLER__DICOM__PORT = '1';
    try {
      assert.equal(loadConfig({ env: {} }).config.dicom.port, 11112);
    } finally {
      delete process.env.NIFFLER__DICOM__PORT;
    }
  });
});

describe('more checks', () => {
  test('duplicate keys in JSON are refused, as in YAML', () => {
    const file = writeConfig(
      'dup.json',
      '{\n  "dicom": { "port": 1 },\n  "dicom": { "port": 2 }\n}\n',
    );
    const error = configError(() => loadConfig({ file, env: {} }));
    assert.match(error.message, /dup\.json:3: duplicate key/);
  });

  test('listeners on the same port are refused', () => {
    const error = configError(() =>
      loadConfig({ env: { NIFFLER__HTTP__PORT: '11112', NIFFLER__RETRIEVE__OUR_PORT: '11112' } }),
    );
    assert.deepEqual(error.problems.map((p) => p.path).sort(), ['http.port', 'retrieve.ourPort']);
  });

  test('a database URL in an error message loses its password', () => {
    const error = configError(() =>
      loadConfig({ env: { NIFFLER_DATABASE_URL: 'mysql://user:s3cret@db/niffler' } }),
    );
    assert.equal(error.problems[0]?.path, 'database.url');
    assert.ok(!error.message.includes('s3cret'), error.message);
  });
});
