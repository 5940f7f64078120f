// Bench-only, never part of the server (nothing in src/ knows of it): preloaded into a server process
// that a bench starts with an IPC channel,
//
//   node --expose-gc --import ./bench/live-heap-probe.mjs dist/server/main.js
//
// it answers { probe: 'live-heap', id } with the memory still in use after a full garbage collection:
// { probe: 'live-heap', id, heapUsedBytes, externalBytes, rssBytes, gcMs }. Live memory, unlike RSS,
// does not move with the garbage not yet collected or the pages the allocator keeps, so growth in it
// over a steady load is a leak. The forced collection pauses the process for gcMs.
if (typeof process.send === 'function' && typeof globalThis.gc === 'function') {
  process.on('message', (message) => {
    if (message === null || typeof message !== 'object' || message.probe !== 'live-heap') return;
    const started = performance.now();
    globalThis.gc();
    const gcMs = performance.now() - started;
    const { heapUsed, external, rss } = process.memoryUsage();
    process.send?.({ probe: 'live-heap', id: message.id, heapUsedBytes: heapUsed, externalBytes: external, rssBytes: rss, gcMs });
  });
  // The channel must not keep the server alive once it has closed everything else (its SIGTERM drain).
  process.channel?.unref();
}
