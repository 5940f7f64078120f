// Sending files between vault users (docs/send.md): send, inbox, receive, sent, revoke. Thin over src/client/send.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { createFileResumeStore, fileSource, NODE_CHUNK_BYTES, nodeStreamingBody } from '../../client/node/index.js';
import { toHex } from '../../crypto/encoding.js';
import { randomBytes } from '../../crypto/nacl.js';
import { listInbox, listSent, receiveFile, revokeSend, sendFile } from '../../client/send/index.js';
import { cryptoBackend } from '../crypto-backend.js';
import { stateDir } from '../environment.js';
import { printJson, printLine, type CliIo } from '../io.js';
import { parseDuration } from '../parse-options.js';
import { createProgress } from '../progress.js';
import { LocalFileError, UsageError } from '../usage-error.js';
import { openVault, requirePasswordLogin } from '../vault/context.js';
import { checkTrusted, fingerprintOf } from '../vault/trusted-users.js';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function sendId(text: string): string {
  if (!UUID.test(text)) throw new UsageError(`not a send id (a UUID, as "blindvault inbox" shows): ${text}`);
  return text.toLowerCase();
}

/** A logged-in person: sending uses the user's own keys, which an API key does not hold. */
async function personSession(io: CliIo, command: string) {
  const access = await openVault(io.env);
  requirePasswordLogin(access, command);
  return access;
}

export function sendCommands(program: Command, io: CliIo): void {
  program
    .command('send')
    .description("encrypt a file here with a fresh key, box the key to a vault user's public key, and upload it for them alone")
    .argument('<file>', 'the file to send')
    .requiredOption('--to <username>', 'the recipient (a user of the same server)')
    .option('--expires <duration>', "the recipient can fetch it this long: 3600, 30m, 12h, 7d, 2w (default: the server's)", parseDuration)
    .option('--yes', "trust the recipient's key on first use without asking (scripts); a changed key is refused all the same")
    .option('--json', 'print {"id","recipient","recipient_fingerprint","expires_at"}')
    .action(async (file: string, flags: { to: string; expires?: number; yes?: boolean; json?: boolean }) => {
      const access = await personSession(io, 'send');
      const source = await fileSource(file).catch((error: NodeJS.ErrnoException) => {
        throw new LocalFileError(`cannot read ${file}: ${error.code ?? error.message}`);
      });
      const progress = createProgress(`send ${path.basename(file)}`, io.showProgress);
      let result;
      try {
        result = await sendFile(access.session, source, {
          serverUrl: access.serverUrl,
          recipient: flags.to,
          trust: async (user) => void (await checkTrusted(io, access.serverUrl, user, flags.yes === true)),
          ...(flags.expires !== undefined ? { expiresInSeconds: flags.expires } : {}),
          resume: createFileResumeStore(path.join(stateDir(io.env), 'uploads')),
          crypto: await cryptoBackend(),
          // As `upload` does: tus chunks streamed from Node, not buffered (else send runs at a third of upload's pace).
          chunkBody: nodeStreamingBody,
          chunkSizeBytes: NODE_CHUNK_BYTES,
          onProgress: (sent, total) => progress.update(sent, total),
          signal: io.signal,
        });
      } finally {
        progress.stop();
      }
      const out = { id: result.id, recipient: result.recipient.username, recipient_fingerprint: fingerprintOf(result.recipient.publicKey), expires_at: result.expiresAt.toISOString() };
      if (flags.json) return printJson(io.stdout, out);
      printLine(io.stdout, out.id);
      printLine(io.stderr, `sent to ${out.recipient} (key ${out.recipient_fingerprint}); expires ${out.expires_at}`);
    });

  program
    .command('inbox')
    .description('list the files sent to me: id, sender, size, time, and the fingerprint of the key the sender used')
    .option('--json', 'print [{"id","sender","sender_id","sender_fingerprint","size_bytes","created_at","expires_at"}]')
    .action(async (flags: { json?: boolean }) => {
      const { session } = await personSession(io, 'inbox');
      const rows = (await listInbox(session)).map((s) => ({
        id: s.id,
        sender: s.senderUsername,
        sender_id: s.senderId,
        sender_fingerprint: fingerprintOf(s.senderPublicKey),
        size_bytes: s.sizeBytes,
        created_at: s.createdAt,
        expires_at: s.expiresAt,
      }));
      if (flags.json) return printJson(io.stdout, rows);
      for (const r of rows) printLine(io.stdout, `${r.id}  from ${r.sender}  ${r.size_bytes} bytes  ${r.created_at}  key ${r.sender_fingerprint}`);
      if (rows.length === 0) printLine(io.stderr, 'nothing sent to you');
    });

  program
    .command('receive')
    .description("download a file sent to me, check that its key comes from the sender's trusted key, and decrypt it here")
    .argument('<id>', 'the send id, as "inbox" shows it')
    .option('-o, --output <file>', 'where to write the plaintext (default: the send id, in this folder)')
    .option('--yes', "trust the sender's key on first use without asking; a changed key is refused all the same")
    .option('--json', 'print {"output","id","sender","sender_fingerprint","size_bytes"}')
    .addHelpText('after', '\nThe plaintext goes to a temporary file beside the output, renamed only once every byte has been verified.')
    .action(async (idText: string, flags: { output?: string; yes?: boolean; json?: boolean }) => {
      const id = sendId(idText);
      const access = await personSession(io, 'receive');
      const output = path.resolve(flags.output ?? id);
      const temp = path.join(path.dirname(output), `.${path.basename(output)}.${toHex(randomBytes(6))}.blindvault-part`);
      const progress = createProgress('receive', io.showProgress);
      let written = 0;
      try {
        const received = await receiveFile(access.session, id, {
          serverUrl: access.serverUrl,
          trust: async (user) => void (await checkTrusted(io, access.serverUrl, user, flags.yes === true)),
          crypto: await cryptoBackend(),
          signal: io.signal,
        });
        const plaintext = Readable.fromWeb(received.plaintext as NodeReadableStream<Uint8Array>).on('data', (chunk: Uint8Array) => {
          written += chunk.byteLength;
          progress.update(written, received.ciphertextBytes);
        });
        await pipeline(plaintext, createWriteStream(temp, { mode: 0o600, flags: 'wx' }), { signal: io.signal });
        await rename(temp, output);
        progress.stop();
        const out = { output, id, sender: received.send.senderUsername, sender_fingerprint: fingerprintOf(received.send.senderPublicKey), size_bytes: written };
        if (flags.json) return printJson(io.stdout, out);
        printLine(io.stderr, `saved ${written} bytes from ${out.sender} (key ${out.sender_fingerprint}) to ${output}`);
      } finally {
        progress.stop();
        await rm(temp, { force: true });
      }
    });

  program
    .command('sent')
    .description('list the files I sent that can still be fetched (revoke one with "blindvault revoke ID")')
    .option('--json', 'print [{"id","recipient","recipient_id","recipient_fingerprint","size_bytes","created_at","expires_at"}]')
    .action(async (flags: { json?: boolean }) => {
      const { session } = await personSession(io, 'sent');
      const rows = (await listSent(session)).map((s) => ({
        id: s.id,
        recipient: s.recipientUsername,
        recipient_id: s.recipientId,
        recipient_fingerprint: fingerprintOf(s.recipientPublicKey),
        size_bytes: s.sizeBytes,
        created_at: s.createdAt,
        expires_at: s.expiresAt,
      }));
      if (flags.json) return printJson(io.stdout, rows);
      for (const r of rows) printLine(io.stdout, `${r.id}  to ${r.recipient}  ${r.size_bytes} bytes  ${r.created_at}  expires ${r.expires_at}`);
      if (rows.length === 0) printLine(io.stderr, 'nothing sent that can still be fetched');
    });

  program
    .command('revoke')
    .description('revoke a file I sent: it is never served again, and deleted from the server')
    .argument('<id>', 'the send id, as "sent" shows it')
    .option('--json', 'print {"id","revoked":true}')
    .action(async (idText: string, flags: { json?: boolean }) => {
      const id = sendId(idText);
      const { session } = await personSession(io, 'revoke');
      await revokeSend(session, id);
      if (flags.json) return printJson(io.stdout, { id, revoked: true });
      printLine(io.stderr, `revoked ${id}`);
    });
}
