// Cipher and format v2 throughput, each beside the same run's baseline: node:crypto AES-256-GCM sealing the same
// bytes record by record with nothing else around it. `npm run bench:crypto` (MiB/s over BENCH_CRYPTO_MIB, default 64).
// The figures docs/formats/file-v2.md cites for its choice of cipher come from this bench.
import { createCipheriv } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import { webCryptoBackend } from '../src/crypto/backend/webcrypto.js';
import { nodeCryptoBackend } from '../src/crypto/node/node-backend.js';
import { createV2Decryptor, createV2Encryptor } from '../src/crypto/stream/index.js';
import type { CryptoBackend } from '../src/crypto/backend/crypto-backend.js';

await sodium.ready;
const TOTAL = Number(process.env.BENCH_CRYPTO_MIB ?? 64) * 1024 * 1024;
const key = new Uint8Array(32).fill(7);
const mibPerSecond = (bytes: number, ms: number) => bytes / 1024 / 1024 / (ms / 1000);

async function timed(run: () => Promise<void> | void): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

function baseline(recordSize: number): Promise<number> {
  const plaintext = new Uint8Array(recordSize).fill(1);
  return timed(() => {
    for (let i = 0; i < TOTAL / recordSize; i++) {
      const iv = Buffer.alloc(12);
      iv.writeUInt32BE(i, 8);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.update(plaintext);
      cipher.final();
      cipher.getAuthTag();
    }
  });
}

async function webCryptoGcm(recordSize: number): Promise<number> {
  const plaintext = new Uint8Array(recordSize).fill(1);
  const aead = await webCryptoBackend.importAes256Gcm(key);
  return timed(async () => {
    for (let i = 0; i < TOTAL / recordSize; i++) await aead.seal(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i & 0xff), plaintext, new Uint8Array());
  });
}

function wasmXChaCha(recordSize: number): Promise<number> {
  const plaintext = new Uint8Array(recordSize).fill(1);
  return timed(() => {
    for (let i = 0; i < TOTAL / recordSize; i++) sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, null, null, new Uint8Array(24), key);
  });
}

async function v2RoundTrip(backend: CryptoBackend, recordSize: number): Promise<{ sealMs: number; openMs: number }> {
  const chunk = new Uint8Array(64 * 1024).fill(2);
  const source = () => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= TOTAL) return controller.close();
        controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
  };
  const encryptor = await createV2Encryptor({ key, recordSize, backend });
  const parts: Uint8Array[] = [];
  const sealMs = await timed(() => source().pipeThrough(encryptor.transform()).pipeTo(new WritableStream({ write: (c) => void parts.push(c) })));
  let opened = 0;
  const ciphertext = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = parts.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  const openMs = await timed(() => ciphertext.pipeThrough(createV2Decryptor({ key, backend })).pipeTo(new WritableStream({ write: (c) => void (opened += c.length) })));
  if (opened !== TOTAL) throw new Error('v2 round trip lost bytes');
  return { sealMs, openMs };
}

console.log(`crypto bench: ${TOTAL / 1024 / 1024} MiB per case; baseline = node:crypto AES-256-GCM, record by record, same run`);
for (const recordSize of [16_384, 65_536, 262_144, 1_048_576]) {
  const base = mibPerSecond(TOTAL, await baseline(recordSize));
  const row = (label: string, value: number) => console.log(`  ${label.padEnd(40)} ${value.toFixed(0).padStart(6)} MiB/s   ratio ${(value / base).toFixed(2)}`);
  console.log(`record ${recordSize / 1024} KiB: baseline ${base.toFixed(0)} MiB/s`);
  row('WebCrypto AES-256-GCM', mibPerSecond(TOTAL, await webCryptoGcm(recordSize)));
  row('libsodium WASM XChaCha20-Poly1305', mibPerSecond(TOTAL, await wasmXChaCha(recordSize)));
  for (const backend of [nodeCryptoBackend, webCryptoBackend]) {
    const { sealMs, openMs } = await v2RoundTrip(backend, recordSize);
    row(`v2 seal (${backend.name} backend)`, mibPerSecond(TOTAL, sealMs));
    row(`v2 open (${backend.name} backend)`, mibPerSecond(TOTAL, openMs));
  }
}
