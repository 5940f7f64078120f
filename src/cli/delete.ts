import type { Command } from 'commander';
import { deleteFile } from '../client/manage.js';
import { linkFrom, LINK_HELP } from './link-input.js';
import { printLine, type CliIo } from './io.js';

export function deleteCommand(program: Command, io: CliIo): void {
  program
    .command('delete')
    .description('delete a file from the server at once')
    .argument('[manage-link]', `the manage link the upload printed (…/f/{id}/manage?token=…); ${LINK_HELP}`)
    .action(async (manageLinkArgument: string | undefined) => {
      await deleteFile(await linkFrom(manageLinkArgument, io));
      printLine(io.stderr, 'deleted');
    });
}
