// Joins small chunks into larger ones before a stream crosses to another thread. A transferred stream
// sends each chunk as its own message and waits for the other side to ask for the next: with 256 KiB
// records that wait is paid 4,096 times per GiB, with 2 MiB chunks 512 times.

export function coalesce(targetBytes: number): TransformStream<Uint8Array, Uint8Array> {
  let buffer = new Uint8Array(targetBytes);
  let filled = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      let at = 0;
      while (at < chunk.byteLength) {
        const count = Math.min(targetBytes - filled, chunk.byteLength - at);
        buffer.set(chunk.subarray(at, at + count), filled);
        filled += count;
        at += count;
        if (filled === targetBytes) {
          controller.enqueue(buffer);
          buffer = new Uint8Array(targetBytes);
          filled = 0;
        }
      }
    },
    flush(controller) {
      if (filled > 0) controller.enqueue(buffer.subarray(0, filled));
    },
  });
}
