import sodium from 'libsodium-wrappers-sumo';
await sodium.ready;
const total = 64 * 1024 * 1024;
const key = crypto.getRandomValues(new Uint8Array(32));
const ck = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt','decrypt']);
for (const rs of [16384, 65536, 262144, 1048576]) {
  const pt = new Uint8Array(rs).fill(7);
  const n = total / rs;
  let t = performance.now();
  for (let i = 0; i < n; i++) { const iv = new Uint8Array(12); new DataView(iv.buffer).setUint32(8, i); await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new Uint8Array(1) }, ck, pt); }
  const wc = total / 1048576 / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) { const nonce = new Uint8Array(24); sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, new Uint8Array(1), null, nonce, key); }
  const xc = total / 1048576 / ((performance.now() - t) / 1000);
  t = performance.now();
  const nc = await import('node:crypto');
  for (let i = 0; i < n; i++) { const iv = Buffer.alloc(12); const c = nc.createCipheriv('aes-256-gcm', key, iv); c.setAAD(Buffer.alloc(1)); c.update(pt); c.final(); c.getAuthTag(); }
  const nn = total / 1048576 / ((performance.now() - t) / 1000);
  console.log(`record ${rs}: WebCrypto AES-256-GCM ${wc.toFixed(0)} MiB/s, node:crypto AES-256-GCM ${nn.toFixed(0)} MiB/s, libsodium WASM XChaCha20-Poly1305 ${xc.toFixed(0)} MiB/s, ratio wc/xchacha ${(wc/xc).toFixed(1)}`);
}
