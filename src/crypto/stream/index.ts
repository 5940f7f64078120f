// Format v2, the streaming file format (docs/formats/file-v2.md): the API the SDK, CLI and page call.
//
//   const enc = await createV2Encryptor({ key: createFileKey() })        // or { passphrase, kdfParams }
//   await plaintext.pipeThrough(enc.transform()).pipeTo(upload)          // header ‖ records; one stream per encryptor
//   fragment = encodeLinkKey(enc.fileKey)                                // the link's '#…' (client/links.ts builds it)
//
//   resume: const enc = await resumeV2Encryptor({ header, key });  const p = enc.resumePoint(storedBytes);
//           send p.headerTail, then plaintext from p.plaintextOffset through enc.sealFrom(p.recordIndex),
//           dropping the first p.skipBytes bytes of its output. Only for the same plaintext.
//
//   const { header, plaintext } = await openV2(ciphertext, { key })       // header verified before it answers
//   ciphertext.pipeThrough(createV2Decryptor({ passphrase }))            // the same as a TransformStream
//
// Errors are BlindvaultErrors: BAD_HEADER, WRONG_KEY, DECRYPTION_FAILED, TRUNCATED, KEY_MODE_MISMATCH,
// INVALID_FILE_KEY, INVALID_KDF_PARAMETERS, ENCRYPTOR_MISUSE. Every option takes `backend` (default WebCrypto).
export { createV2Encryptor, resumeV2Encryptor, sealRecord, recordNonce, type V2Encryptor, type V2EncryptorOptions, type ResumePoint } from './seal.js';
export { openV2, createV2Decryptor, openRecord, V2Decoder, type OpenedV2, type V2OpenOptions, type V2HeaderInfo } from './open.js';
export {
  ARGON2ID_CEILING,
  ARGON2ID_DEFAULT,
  ARGON2ID_FLOOR,
  DEFAULT_RECORD_SIZE,
  MAX_HEADER_BYTES,
  RECORD_SIZES,
  parseV2Header,
  v2CiphertextSize,
  v2PlaintextSize,
  type V2Header,
  type V2HeaderFields,
} from './header.js';
export { createFileKey, decodeLinkKey, encodeLinkKey } from '../file-key.js';
