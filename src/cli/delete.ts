import type { Command } from 'commander';
import { deleteFile } from '../client/index.js';
import { printLine, type CliIo } from './io.js';

export function deleteCommand(program: Command, io: CliIo): void {
  program
    .command('delete')
    .description('delete a file from the server at once')
    .argument('<manage-link>', 'the manage link the upload printed (…/f/{id}/manage?token=…)')
    .action(async (manageLink: string) => {
      await deleteFile(manageLink);
      printLine(io.stderr, 'deleted');
    });
}
