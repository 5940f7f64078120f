// libsodium's WASM build, loaded once. It runs unchanged in Node and in browsers, and its functions are
// synchronous once `ready` has resolved (awaited here, so importers can call them at once).
import sodium from 'libsodium-wrappers-sumo';

await sodium.ready;

export { sodium };
