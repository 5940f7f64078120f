// The two CryptoBackends pass the same suite and agree with each other byte for byte.
import { webCryptoBackend } from '../../src/crypto/backend/webcrypto.js';
import { nodeCryptoBackend } from '../../src/crypto/node/node-backend.js';
import { cryptoBackendSuite } from './crypto-backend.js';

cryptoBackendSuite(webCryptoBackend, nodeCryptoBackend);
cryptoBackendSuite(nodeCryptoBackend, webCryptoBackend);
