import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileSource } from '../../../src/client/node/file-source.js';
import { tusTransfer } from '../../../src/client/tus-transfer.js';
import { blobSource } from '../../../src/client/upload-source.js';
import { BlindvaultError } from '../../../src/protocol/errors.js';

// Security review item 3: a server that rewinds Upload-Offset below what it confirmed would make the
// client seal those bytes again under the saved key and header. The SDK stops instead.

const CHUNK = 1024;
const SIZE = 4 * CHUNK;

/** A tus endpoint for one upload. `rewind` makes it drop the connection of the second PATCH and then claim offset 0. */
function fakeTus(options: { rewind: boolean; startAt?: number }) {
  let offset = options.startAt ?? 0;
  let patches = 0;
  const received: Buffer[] = [];
  const server: Server = createServer((request, response) => {
    const tus = { 'tus-resumable': '1.0.0', 'cache-control': 'no-store' };
    if (request.method === 'HEAD') {
      response.writeHead(200, { ...tus, 'upload-offset': String(offset), 'upload-length': String(SIZE) }).end();
      return;
    }
    if (request.method !== 'PATCH') return void response.writeHead(405).end();
    patches += 1;
    if (options.rewind && patches === 2) {
      offset = 0; // forgets what it confirmed
      request.socket.destroy();
      return;
    }
    const body: Buffer[] = [];
    request.on('data', (d: Buffer) => body.push(d));
    request.on('end', () => {
      if (Number(request.headers['upload-offset']) !== offset) return void response.writeHead(409, tus).end();
      const bytes = Buffer.concat(body);
      received.push(bytes);
      offset += bytes.byteLength;
      response.writeHead(204, { ...tus, 'upload-offset': String(offset) }).end();
    });
  });
  return {
    server,
    received,
    get offset() {
      return offset;
    },
    async url() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/uploads/u1`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const source = blobSource(new Blob([randomBytes(SIZE)]));
const transfer = (uploadUrl: string, extra: { confirmedBytes?: number; onConfirmed?: (offset: number) => void } = {}) =>
  tusTransfer({ uploadUrl, uploadToken: 'token', source, chunkSizeBytes: CHUNK, ...extra });

describe('the client never sends bytes below an offset the server confirmed', () => {
  test('a server that rewinds its offset mid-upload: UPLOAD_OFFSET_REWOUND', async () => {
    const tus = fakeTus({ rewind: true });
    try {
      const confirmed: number[] = [];
      await assert.rejects(transfer(await tus.url(), { onConfirmed: (o) => confirmed.push(o) }), (error: unknown) => error instanceof BlindvaultError && error.code === 'UPLOAD_OFFSET_REWOUND');
      assert.equal(tus.received.length, 1, 'nothing was sent again from offset 0');
      assert.deepEqual(confirmed, [CHUNK]);
    } finally {
      await tus.close();
    }
  });

  test('control: an honest server receives the whole upload, and every confirmed offset is reported', async () => {
    const tus = fakeTus({ rewind: false });
    try {
      const confirmed: number[] = [];
      await transfer(await tus.url(), { onConfirmed: (o) => confirmed.push(o) });
      assert.equal(tus.offset, SIZE);
      assert.deepEqual(confirmed, [CHUNK, 2 * CHUNK, 3 * CHUNK, SIZE]);
    } finally {
      await tus.close();
    }
  });

  test('across runs: a server offset below the saved confirmed offset is refused; control: equal goes on', async () => {
    const rewound = fakeTus({ rewind: false, startAt: CHUNK });
    try {
      await assert.rejects(transfer(await rewound.url(), { confirmedBytes: 2 * CHUNK }), (error: unknown) => error instanceof BlindvaultError && error.code === 'UPLOAD_OFFSET_REWOUND');
      assert.equal(rewound.received.length, 0);
    } finally {
      await rewound.close();
    }
    const honest = fakeTus({ rewind: false, startAt: 2 * CHUNK });
    try {
      await transfer(await honest.url(), { confirmedBytes: 2 * CHUNK });
      assert.equal(honest.offset, SIZE);
    } finally {
      await honest.close();
    }
  });
});

describe('a file source checks the file is unchanged after its last byte', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bv-source-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const readAll = async (stream: ReadableStream<Uint8Array>) => {
    let total = 0;
    for await (const piece of stream) total += piece.byteLength;
    return total;
  };

  test('rewritten at the same size: UPLOAD_CHANGED; control: untouched, read whole', async () => {
    const file = path.join(dir, 'a.bin');
    await writeFile(file, randomBytes(SIZE));
    const untouched = await fileSource(file);
    assert.equal(await readAll(untouched.read(0)), SIZE);

    const changed = await fileSource(file);
    await writeFile(file, randomBytes(SIZE));
    await utimes(file, new Date(), new Date(Date.now() + 60_000));
    await assert.rejects(readAll(changed.read(0)), (error: unknown) => error instanceof BlindvaultError && error.code === 'UPLOAD_CHANGED');
  });
});
