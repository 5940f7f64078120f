import type { Command } from 'commander';
import { fileInfo } from '../client/manage.js';
import { linkFrom, LINK_HELP } from './link-input.js';
import { printJson, printLine, type CliIo } from './io.js';

export function infoCommand(program: Command, io: CliIo): void {
  program
    .command('info')
    .description("show a file's state: size, expiry, downloads so far and the limit")
    .argument('[manage-link]', `the manage link the upload printed (…/f/{id}/manage?token=…); ${LINK_HELP}`)
    .option('--json', 'print {"id","size_bytes","created_at","expires_at","downloads","max_downloads"}')
    .action(async (manageLinkArgument: string | undefined, options: { json?: boolean }) => {
      const info = await fileInfo(await linkFrom(manageLinkArgument, io));
      if (options.json) {
        printJson(io.stdout, {
          id: info.id,
          size_bytes: info.sizeBytes,
          created_at: info.createdAt.toISOString(),
          expires_at: info.expiresAt.toISOString(),
          downloads: info.downloads,
          max_downloads: info.maxDownloads,
        });
        return;
      }
      printLine(io.stdout, `id: ${info.id}`);
      printLine(io.stdout, `size: ${info.sizeBytes} bytes (encrypted)`);
      printLine(io.stdout, `created: ${info.createdAt.toISOString()}`);
      printLine(io.stdout, `expires: ${info.expiresAt.toISOString()}`);
      printLine(io.stdout, `downloads: ${info.downloads} of ${info.maxDownloads ?? 'unlimited'}`);
    });
}
