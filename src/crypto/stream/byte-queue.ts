// A FIFO of byte chunks: push what arrives, take exactly n bytes when they are there. Copies a byte at most once:
// n bytes that lie in one pushed chunk are answered as a view of it (a reader's chunks are its own to keep);
// others are copied into a new buffer (take) or into the caller's (takeInto).
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0; // bytes already taken from #chunks[0]
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Whether the first n bytes (n ≤ length) lie in one pushed chunk, so that take(n) answers a view without a copy. */
  contiguous(n: number): boolean {
    const first = this.#chunks[0];
    return first !== undefined && first.length - this.#head >= n;
  }

  /** Removes and returns the first n bytes (n ≤ length): a view when they lie in one chunk, else a copy. */
  take(n: number): Uint8Array {
    if (n > this.#length) throw new RangeError('not enough bytes queued');
    const first = this.#chunks[0];
    if (first && first.length - this.#head >= n) {
      const view = first.subarray(this.#head, this.#head + n);
      this.#head += n;
      if (this.#head === first.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
      this.#length -= n;
      return view;
    }
    return this.takeInto(new Uint8Array(n));
  }

  /**
   * Removes the first `target.length` bytes (≤ length), copying them into `target`, and answers it: a caller that
   * assembles many spans (a record at a time) reuses one buffer instead of allocating one per span.
   */
  takeInto(target: Uint8Array): Uint8Array {
    const n = target.length;
    if (n > this.#length) throw new RangeError('not enough bytes queued');
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0] as Uint8Array;
      const count = Math.min(chunk.length - this.#head, n - filled);
      target.set(chunk.subarray(this.#head, this.#head + count), filled);
      filled += count;
      this.#head += count;
      if (this.#head === chunk.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.#length -= n;
    return target;
  }

  /** Copies the first n bytes (n ≤ length) without removing them. */
  peek(n: number): Uint8Array {
    const saved = { chunks: [...this.#chunks], head: this.#head, length: this.#length };
    const out = this.take(n);
    this.#chunks = saved.chunks;
    this.#head = saved.head;
    this.#length = saved.length;
    return out;
  }
}
