import path from 'node:path';
import type { Command } from 'commander';
import { parseDownloadLink } from '../client/links.js';
import { downloadToFile, downloadToStream, nodeFetch } from '../client/node/index.js';
import { cryptoBackend } from './crypto-backend.js';
import { linkFrom, LINK_HELP } from './link-input.js';
import { printJson, printLine, type CliIo } from './io.js';
import { passphraseForDownload } from './passphrase.js';
import { createProgress } from './progress.js';

interface DownloadFlags {
  output?: string;
  passphraseFile?: string;
  json?: boolean;
}

export function downloadCommand(program: Command, io: CliIo): void {
  program
    .command('download')
    .description('download a file, check it and decrypt it here; nothing unverified is left under the output name')
    .argument('[link]', `the download link (…/f/{id}#key; or …/f/{id} or the seed's …/f/{id}/encrypted with a passphrase); ${LINK_HELP}`)
    .option('-o, --output <file>', 'where to write the plaintext ("-" for stdout; default: the file id, in this folder)')
    .option('--passphrase-file <file>', 'the passphrase, for a file encrypted with one (else BLINDVAULT_PASSPHRASE, else a prompt on a terminal)')
    .option('--json', 'print {"output","id","size_bytes","format"}')
    .addHelpText(
      'after',
      '\nThe plaintext goes to a temporary file beside the output and is renamed only once every byte has been verified.\n' +
        'An interrupted download goes on when the same command is run again (within the server\'s resume window).',
    )
    .action(async (linkArgument: string | undefined, flags: DownloadFlags) => {
      const linkText = await linkFrom(linkArgument, io);
      const link = parseDownloadLink(linkText);
      const passphrase = () => passphraseForDownload({ file: flags.passphraseFile, env: io.env, interactive: io.interactive });
      const progress = createProgress('download', io.showProgress && flags.output !== '-');
      const options = {
        passphrase,
        crypto: await cryptoBackend(),
        // node:http rather than the global fetch: larger body pieces, a fraction of the per-piece cost.
        fetch: nodeFetch,
        onProgress: (done: number, total: number) => progress.update(done, total),
        signal: io.signal,
      };
      try {
        if (flags.output === '-') {
          const result = await downloadToStream(linkText, io.stdout, options);
          if (flags.json) printJson(io.stderr, { output: '-', id: result.id, size_bytes: result.plaintextBytes, format: result.format });
          return;
        }
        const output = path.resolve(flags.output ?? link.id);
        const result = await downloadToFile(linkText, output, options);
        progress.stop();
        if (flags.json) printJson(io.stdout, { output, id: result.id, size_bytes: result.plaintextBytes, format: result.format });
        else printLine(io.stderr, `${result.resumed ? 'resumed and ' : ''}saved ${result.plaintextBytes} bytes to ${output}`);
      } finally {
        progress.stop();
      }
    });
}
