// The SDK's portable entry point: runs in Node and in browsers (no node:* import below this file).
export { BlindvaultError, isBlindvaultError, type ErrorCode } from '../protocol/errors.js';
export type { Fetch, FileInfo } from './files-api.js';
export { formatDownloadLink, formatManageLink, normalizeServerUrl, parseDownloadLink, parseManageLink } from './links.js';
export type { DownloadLink, ManageLink } from './links.js';
export { deleteFile, fileInfo, type ManageOptions } from './manage.js';
