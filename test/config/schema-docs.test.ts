import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generate } from '../../scripts/config-docs.js';
import { configSchema, describeKeys, loadConfig, secretKeys } from '../../src/config/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOC = path.join(ROOT, 'docs', 'configuration.md');

test('every key of the schema has a description', () => {
  const keys = describeKeys(configSchema);
  assert.ok(keys.length > 80, `only ${keys.length} keys`);
  const missing = keys.filter((k) => k.description.trim() === '').map((k) => k.key);
  assert.deepEqual(missing, []);
});

test('every secret has a File companion and a NIFFLER_SECRET_ variable', () => {
  const secrets = secretKeys(configSchema);
  assert.deepEqual(
    secrets.map((s) => [s.path.join('.'), s.filePath.join('.'), s.variable]),
    [
      ['database.password', 'database.passwordFile', 'NIFFLER_SECRET_DATABASE_PASSWORD'],
      ['http.authToken', 'http.authTokenFile', 'NIFFLER_SECRET_HTTP_AUTH_TOKEN'],
      ['smtp.password', 'smtp.passwordFile', 'NIFFLER_SECRET_SMTP_PASSWORD'],
      ['export.pseudonymKey', 'export.pseudonymKeyFile', 'NIFFLER_SECRET_EXPORT_PSEUDONYM_KEY'],
    ],
  );
  const documented = new Set(describeKeys(configSchema).map((k) => k.key));
  for (const s of secrets)
    assert.ok(
      documented.has(s.filePath.join('.')),
      "expected documented.has(s.filePath.join('.'))",
    );
});

test('docs/configuration.md is generated from the schema and up to date', () => {
  const text = readFileSync(DOC, 'utf8');
  assert.equal(text, generate(), 'stale: run npx tsx scripts/config-docs.ts');
  for (const key of describeKeys(configSchema)) {
    if (!key.key.endsWith('[]')) assert.ok(text.includes(`\`${key.key}\``), key.key);
  }
  assert.ok(
    text.includes('`NIFFLER__DICOM__PORT`'),
    "expected text.includes('`NIFFLER__DICOM__PORT`')",
  );
});

test('the example in docs/configuration.md loads', () => {
  const text = readFileSync(DOC, 'utf8');
  const example = /## Example\n\n```yaml\n([\s\S]*?)```/.exec(text)?.[1];
  assert.ok(example, 'no YAML example');
  const dir = mkdtempSync(path.join(tmpdir(), 'niffler-doc-example-'));
  try {
    const file = path.join(dir, 'niffler.yaml');
    writeFileSync(file, example);
    const { config } = loadConfig({
      file,
      env: { NIFFLER_SECRET_HTTP_AUTH_TOKEN: 'x'.repeat(32) },
    });
    assert.equal(config.retrieve.pacs.archive?.window, '19:00-07:00');
    assert.equal(config.retrieve.pacs.main?.port, 104);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
