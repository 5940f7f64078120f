import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_UPLOAD_METADATA_CHARS, formatUploadMetadata, parseUploadMetadata } from '../../../src/protocol/uploads.js';

describe('tus Upload-Metadata codec', () => {
  test('parses keys with base64 values and bare keys', () => {
    assert.deepEqual(parseUploadMetadata('expires_in MzYwMA==,max_downloads Mw==,flag'), new Map([['expires_in', '3600'], ['max_downloads', '3'], ['flag', null]]));
    assert.deepEqual(parseUploadMetadata('name w6k='), new Map([['name', 'é']]));
  });

  const refused: Array<[string, string]> = [
    ['', 'an empty header'],
    ['a MTA=,a MTA=', 'a key given twice'],
    ['a MTA= b', 'three parts'],
    ['a,,b', 'an empty pair'],
    ['a !!!!', 'a value that is not base64'],
    ['a MTA', 'base64 without its padding'],
    ['a MTB=', 'non-canonical base64'],
    ['a /w==', 'bytes that are not UTF-8'],
    ['ключ MTA=', 'a key outside printable ASCII'],
    [`${'k'.repeat(65)} MTA=`, 'a key over 64 characters'],
    [`a ${'A'.repeat(MAX_UPLOAD_METADATA_CHARS)}`, 'a header over the bound'],
  ];
  for (const [text, what] of refused) {
    test(`refuses ${what}`, () => assert.equal(parseUploadMetadata(text), undefined));
  }

  test('format and parse are inverse, and formatting a parsed header gives the same bytes', () => {
    const key = fc.stringMatching(/^[a-z_]{1,20}$/);
    fc.assert(
      fc.property(fc.dictionary(key, fc.string({ maxLength: 40 }), { minKeys: 1, maxKeys: 8 }), (entries) => {
        const header = formatUploadMetadata(entries);
        fc.pre(header.length <= MAX_UPLOAD_METADATA_CHARS);
        const parsed = parseUploadMetadata(header);
        assert.deepEqual(parsed, new Map(Object.entries(entries)));
        assert.equal(formatUploadMetadata(Object.fromEntries(parsed as Map<string, string>)), header);
      }),
    );
  });
});
