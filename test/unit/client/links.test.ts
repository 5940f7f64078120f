import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDownloadLink, formatManageLink, normalizeServerUrl, parseDownloadLink, parseManageLink } from '../../../src/client/links.js';
import { BlindvaultError } from '../../../src/protocol/errors.js';

const ID = '5b0c8a1e-2f3d-4c5b-9a6e-7d8f9a0b1c2d';
const TOKEN = 'A'.repeat(43);

test('download links: the key stays in the fragment, the server URL keeps its path prefix', () => {
  assert.deepEqual(parseDownloadLink(`https://files.example.org/f/${ID}#abc`), { serverUrl: 'https://files.example.org', id: ID, fragment: 'abc' });
  assert.deepEqual(parseDownloadLink(`http://127.0.0.1:8080/vault/f/${ID}/`), { serverUrl: 'http://127.0.0.1:8080/vault', id: ID, fragment: undefined });
  // the seed's upload snippet prints …/f/{id}/encrypted
  assert.deepEqual(parseDownloadLink(`http://127.0.0.1:8080/f/${ID}/encrypted`), { serverUrl: 'http://127.0.0.1:8080', id: ID, fragment: undefined });
  const link = { serverUrl: 'http://h:1/p', id: ID, fragment: 'k' };
  assert.deepEqual(parseDownloadLink(formatDownloadLink(link)), link);
});

test('manage links need their token; round trip', () => {
  const link = { serverUrl: 'http://h:1', id: ID, ownerToken: TOKEN };
  assert.equal(formatManageLink(link), `http://h:1/f/${ID}/manage?token=${TOKEN}`);
  assert.deepEqual(parseManageLink(formatManageLink(link)), link);
});

test('anything else is INVALID_LINK', () => {
  const bad = [
    'hello',
    `ftp://h/f/${ID}`,
    `http://h/f/not-a-uuid`,
    `http://h/f/${ID.toUpperCase()}`,
    `http://h/x/${ID}`,
    `http://h/f/${ID}/manage`,
    `http://h/f/${ID}/other`,
  ];
  for (const text of bad) assert.throws(() => parseDownloadLink(text), (e: unknown) => e instanceof BlindvaultError && e.code === 'INVALID_LINK', text);
  for (const text of [`http://h/f/${ID}/manage`, `http://h/f/${ID}/manage?token=`, `http://h/f/${ID}/manage?token=a%20b`, `http://h/f/${ID}#x`]) {
    assert.throws(() => parseManageLink(text), (e: unknown) => e instanceof BlindvaultError && e.code === 'INVALID_LINK', text);
  }
});

test('server URLs: http(s) only, no query, fragment or credentials; trailing slashes dropped', () => {
  assert.equal(normalizeServerUrl('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
  assert.equal(normalizeServerUrl('https://h/base//'), 'https://h/base');
  for (const text of ['h:8080', 'ftp://h', 'http://h/?x=1', 'http://h/#k', 'http://u:p@h/']) assert.equal(normalizeServerUrl(text), undefined, text);
});
