// Where an interrupted upload keeps what it needs to go on: the server's creation answer (upload URL,
// upload token, owner token) and, for a random-key file, the file key and the v2 header. It is as
// secret as the download link; the Node adapter keeps it in a 0600 file that is removed when done.

export interface UploadResumeRecord {
  /** Says which upload this is: server, source location and the options that shape the ciphertext. */
  match: string;
  /** The source's identity when the upload began: a changed source is never resumed. */
  identity: string;
  serverUrl: string;
  id: string;
  uploadUrl: string;
  uploadToken: string;
  ownerToken: string;
  sizeBytes: number;
  /** The v2 header, base64url. */
  header: string;
  /** Random-key files only, base64url: the key cannot be made again. Passphrase files re-derive it. */
  fileKey?: string;
  createdAt: string;
}

export interface ResumeStore {
  find(match: string): Promise<UploadResumeRecord | undefined>;
  save(record: UploadResumeRecord): Promise<void>;
  remove(match: string): Promise<void>;
}
