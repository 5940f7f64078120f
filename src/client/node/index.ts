// The SDK's Node adapters: files on disk as upload sources, downloads into files, resume state in a folder.
export { fileSource } from './file-source.js';
export { createFileResumeStore } from './file-resume-store.js';
export { downloadToFile, downloadToStream, type SavedDownload } from './download-to-file.js';
export { NODE_CHUNK_BYTES, nodeStreamingBody } from './streaming-body.js';
export { nodeFetch } from './node-fetch.js';
