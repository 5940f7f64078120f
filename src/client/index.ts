// The SDK's portable entry point: runs in Node and in browsers (no node:* import below this file).
export { BlindvaultError, isBlindvaultError, type ErrorCode } from '../protocol/errors.js';
export type { Fetch, FileInfo } from './files-api.js';
export { formatDownloadLink, formatManageLink, normalizeServerUrl, parseDownloadLink, parseManageLink } from './links.js';
export type { DownloadLink, ManageLink } from './links.js';
export { deleteFile, fileInfo, type ManageOptions } from './manage.js';
export { uploadFile, type UploadOptions, type UploadResult } from './upload.js';
export { V1_MAX_BYTES } from './upload-v1.js';
export { downloadFile, type DownloadOptions, type DownloadResult } from './download.js';
export { blobSource, type UploadSource } from './upload-source.js';
export type { ResumeStore, UploadResumeRecord } from './resume-store.js';
export { fernetDecrypt, fernetEncrypt, fernetGenerateKey, type FernetCallOptions } from './fernet.js';
