// Files sent from one vault user to another (docs/send.md): who sent which file to whom, and its boxed key.

/** The side of a send a caller stands on; the store puts it in the statement (src/server/vault/auth/policy.ts). */
export type SendParty = 'sender' | 'recipient';

export interface NewSendInput {
  fileId: string;
  /** SHA-256 (hex) of the owner token the sender presented for the uploaded file. */
  ownerTokenHash: string;
  /** Replaces the file's owner token hash, so that its manage link no longer works. */
  deadOwnerTokenHash: string;
  senderId: string;
  recipientId: string;
  boxedKey: string;
  now: Date;
  /** Most unexpired sends a recipient may hold. */
  inboxLimit: number;
}

export type NewSendOutcome = 'created' | 'no_file' | 'no_recipient' | 'inbox_full';

/** A send as one of its two parties sees it; `peer` is the other party. */
export interface SendRecord {
  id: string;
  senderId: string;
  recipientId: string;
  peer: { id: string; username: string; publicKey: string };
  boxedKey: string;
  sizeBytes: number;
  blobKey: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface SendStore {
  /** Claims a ready v2 file of the sender for a send to an active recipient, in one transaction. */
  createSend(input: NewSendInput): Promise<NewSendOutcome>;
  /** Unexpired, unrevoked sends of the caller on the given side, newest first. */
  listSends(party: SendParty, userId: string, now: Date, limit: number): Promise<SendRecord[]>;
  /** The send, if the caller is its `party` and it is unexpired and unrevoked. */
  findSend(party: SendParty, userId: string, id: string, now: Date): Promise<SendRecord | undefined>;
  /** sent → deleted, if the caller is its `party`: never served again, swept with the files. */
  revokeSend(party: SendParty, userId: string, id: string): Promise<boolean>;
}
