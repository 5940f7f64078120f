// The messages between a page and its crypto worker (web/worker.ts). Keys and passphrases travel only
// inside this same-origin channel; the worker puts the link's key in no request.
import type { WorkerError } from './messages.js';

export type WorkerRequest =
  | {
      type: 'upload';
      file: File;
      serverUrl: string;
      passphrase?: string;
      format: 'v1' | 'v2';
      expiresInSeconds?: number;
      maxDownloads?: number;
    }
  | {
      type: 'download';
      link: string;
      passphrase?: string;
      /**
       * Where the plaintext goes: a file picked with the File System Access API; a stream to the download service
       * worker through `port` (the page posted the other end to it: the plaintext never passes through the page); or memory.
       */
      sink: { kind: 'file'; handle: FileSystemFileHandle } | { kind: 'stream'; port: MessagePort } | { kind: 'memory'; maxBytes: number };
    }
  | { type: 'abort' };

export type WorkerReply =
  | { type: 'progress'; doneBytes: number; totalBytes: number }
  | { type: 'uploaded'; downloadUrl: string; manageUrl: string; expiresAt: string; maxDownloads: number | null; resumed: boolean }
  /** The first record verified and the service worker holds the stream: the page may open its download now; 'downloaded' or 'error' follows. */
  | { type: 'stream' }
  | { type: 'downloaded'; blob?: Blob }
  | { type: 'error'; error: WorkerError };
