import path from 'node:path';
import { Option, type Command } from 'commander';
import { uploadFile, type UploadResult } from '../client/upload.js';
import { V1_MAX_BYTES } from '../client/upload-v1.js';
import { createFileResumeStore, fileSource, NODE_CHUNK_BYTES, nodeStreamingBody } from '../client/node/index.js';
import { resolveServer } from './config.js';
import { cryptoBackend } from './crypto-backend.js';
import { stateDir } from './environment.js';
import { printJson, printLine, warn, type CliIo } from './io.js';
import { givenPassphrase, promptPassphrase } from './passphrase.js';
import { parseDuration, parsePositiveInteger } from './parse-options.js';
import { createProgress } from './progress.js';
import { LocalFileError, UsageError } from './usage-error.js';

interface UploadFlags {
  server?: string;
  expires?: number;
  downloads?: number;
  passphraseFile?: string;
  passphrase?: boolean;
  format: 'v1' | 'v2';
  json?: boolean;
}

const MIB = 1024 * 1024;

export function uploadCommand(program: Command, io: CliIo): void {
  program
    .command('upload')
    .description('encrypt a file here and upload the ciphertext; prints the download link (its #key never reaches a server) and the manage link')
    .argument('<file>', 'the file to share')
    .option('--server <url>', 'the Blindvault server (else BLINDVAULT_SERVER, else "server" in $XDG_CONFIG_HOME/blindvault/config.json)')
    .option('--expires <duration>', 'delete the file after this long: 3600, 30m, 12h, 1d, 2w (default: the server\'s)', parseDuration)
    .option('--downloads <n>', 'allow this many downloads, then delete it (default: the server\'s)', parsePositiveInteger)
    .option('--passphrase-file <file>', 'encrypt with the passphrase in this file (one line) instead of a random key in the link')
    .option('--passphrase', 'encrypt with a passphrase asked on the terminal (BLINDVAULT_PASSPHRASE also selects a passphrase)')
    .addOption(new Option('--format <format>', `v2 (streaming, default) or v1 (the seed's legacy format, at most ${V1_MAX_BYTES / MIB} MiB)`).choices(['v1', 'v2']).default('v2'))
    .option('--json', 'print {"download_url","manage_url","id","expires_at","max_downloads","format"}')
    .addHelpText(
      'after',
      '\nAn interrupted upload (Ctrl-C, a lost connection) goes on where it stopped when the same command is run again;\n' +
        'until then $XDG_STATE_HOME/blindvault/uploads holds its state, including the file key (0600; removed when done).',
    )
    .action(async (file: string, flags: UploadFlags) => {
      const serverUrl = await resolveServer(flags.server, io.env);
      const source = await fileSource(file).catch((error: NodeJS.ErrnoException) => {
        throw new LocalFileError(`cannot read ${file}: ${error.code ?? error.message}`);
      });
      if (flags.passphrase && flags.passphraseFile !== undefined) throw new UsageError('--passphrase and --passphrase-file exclude each other');
      let passphrase = await givenPassphrase({ file: flags.passphraseFile, env: io.env, interactive: io.interactive });
      if (passphrase === undefined && flags.passphrase) {
        if (!io.interactive) throw new UsageError('--passphrase asks on a terminal; without one, use --passphrase-file or BLINDVAULT_PASSPHRASE');
        passphrase = await promptPassphrase(true);
      }
      if (flags.format === 'v1') {
        warn(io, 'format v1 is legacy: PBKDF2 with 100,000 iterations (a sixth of what OWASP asks) and one-shot AES-GCM that holds the whole file in memory; use v2 unless the recipient needs the seed\'s Python snippet');
        if (source.sizeBytes > V1_MAX_BYTES) throw new UsageError(`format v1 is refused above ${V1_MAX_BYTES / MIB} MiB (this file has ${source.sizeBytes} bytes): use --format v2`);
      }
      const progress = createProgress(`upload ${path.basename(file)}`, io.showProgress);
      let result: UploadResult;
      try {
        result = await uploadFile(source, {
          serverUrl,
          format: flags.format,
          ...(passphrase !== undefined ? { passphrase } : {}),
          ...(flags.expires !== undefined ? { expiresInSeconds: flags.expires } : {}),
          ...(flags.downloads !== undefined ? { maxDownloads: flags.downloads } : {}),
          resume: createFileResumeStore(path.join(stateDir(io.env), 'uploads')),
          crypto: await cryptoBackend(),
          chunkBody: nodeStreamingBody,
          chunkSizeBytes: NODE_CHUNK_BYTES,
          onProgress: (sent, total) => progress.update(sent, total),
          signal: io.signal,
        });
      } finally {
        progress.stop();
      }
      if (result.resumed) printLine(io.stderr, 'resumed an interrupted upload');
      if (flags.json) {
        printJson(io.stdout, {
          download_url: result.downloadUrl,
          manage_url: result.manageUrl,
          id: result.id,
          expires_at: result.expiresAt.toISOString(),
          max_downloads: result.maxDownloads,
          format: result.format,
        });
        return;
      }
      printLine(io.stdout, `Download: ${result.downloadUrl}`);
      printLine(io.stdout, `Manage: ${result.manageUrl}`);
      printLine(io.stderr, `expires ${result.expiresAt.toISOString()}; downloads allowed: ${result.maxDownloads ?? 'unlimited'}`);
      if (passphrase !== undefined) printLine(io.stderr, 'the link carries no key: send the passphrase separately');
    });
}
