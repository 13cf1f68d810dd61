// src/util helpers the configuration uses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseByteSize } from '../../src/util/byte-size.js';
import { deepFreeze } from '../../src/util/deep-freeze.js';
import { closestMatch, editDistance } from '../../src/util/did-you-mean.js';

describe('closestMatch', () => {
  const keys = ['aeTitle', 'host', 'port', 'allowedPeers', 'maxAssociations'];
  test('case and separator styles', () => {
    assert.equal(closestMatch('ae_title', keys), 'aeTitle');
    assert.equal(closestMatch('AETITLE', keys), 'aeTitle');
  });
  test('near misses, transpositions included', () => {
    assert.equal(closestMatch('prot', keys), 'port');
    assert.equal(closestMatch('maxAssociation', keys), 'maxAssociations');
    assert.equal(closestMatch('alowedPeers', keys), 'allowedPeers');
  });
  test('nothing close: undefined', () => {
    assert.equal(closestMatch('zzzz', keys), undefined);
    assert.equal(closestMatch('x', keys), undefined);
  });
  test('editDistance', () => {
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('abc', 'abc'), 0);
    assert.equal(editDistance('ab', 'ba'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});

test('parseByteSize', () => {
  assert.equal(parseByteSize(1024), 1024);
  assert.equal(parseByteSize('1024'), 1024);
  assert.equal(parseByteSize('512MB'), 512e6);
  assert.equal(parseByteSize('10 GiB'), 10 * 2 ** 30);
  assert.equal(parseByteSize('1.5kib'), 1536);
  for (const bad of ['', 'ten', '10 XB', '-1', '0.5', 1.5, -1, '1e3']) {
    assert.equal(parseByteSize(bad), undefined, String(bad));
  }
});

test('deepFreeze freezes every level in place', () => {
  const value = { a: { b: [1, { c: 2 }] } };
  const frozen = deepFreeze(value);
  assert.equal(frozen, value);
  assert.ok(Object.isFrozen(value.a.b[1]), 'expected Object.isFrozen(value.a.b[1])');
  assert.throws(() => {
    (value.a.b as unknown[]).push(3);
  }, TypeError);
});
