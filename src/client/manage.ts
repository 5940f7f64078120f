// What the holder of a manage link may do: see the file's state, and delete it.
import { deleteFile as deleteFileCall, getFileInfo, type Fetch, type FileInfo } from './files-api.js';
import { parseManageLink } from './links.js';

export interface ManageOptions {
  fetch?: Fetch;
}

export async function fileInfo(manageLink: string, options: ManageOptions = {}): Promise<FileInfo> {
  const link = parseManageLink(manageLink);
  return getFileInfo(options.fetch ?? fetch, link.serverUrl, link.id, link.ownerToken);
}

export async function deleteFile(manageLink: string, options: ManageOptions = {}): Promise<void> {
  const link = parseManageLink(manageLink);
  await deleteFileCall(options.fetch ?? fetch, link.serverUrl, link.id, link.ownerToken);
}
