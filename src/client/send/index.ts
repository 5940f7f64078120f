// Sending files between vault users (docs/send.md).
export { createSend, fetchSendContent, listInbox, listSent, readSend, revokeSend, type ReceivedSend, type SendDetail, type SentSend } from './api.js';
export { sendFile, type SendFileOptions, type SendFileResult, type VaultUser } from './send-file.js';
export { receiveFile, type ReceiveOptions, type ReceivedFile } from './receive-file.js';
