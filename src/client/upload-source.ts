// What an upload reads: anything with a known size that can be read from an offset (a file on disk
// through the Node adapter, a Blob or File in a browser).

export interface UploadSource {
  sizeBytes: number;
  /** Where the content lives (a file's absolute path): an upload of the same place may resume. */
  location?: string;
  /** Changes whenever the content may have changed (size, mtime, inode…): resuming needs it unchanged. */
  identity?: string;
  /** The bytes from `offset` to the end. */
  read(offset: number): ReadableStream<Uint8Array>;
}

export function blobSource(blob: Blob, resume?: { location: string; identity: string }): UploadSource {
  return {
    sizeBytes: blob.size,
    ...resume,
    read: (offset) => blob.slice(offset).stream() as ReadableStream<Uint8Array>,
  };
}
