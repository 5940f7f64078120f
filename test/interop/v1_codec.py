#!/usr/bin/python3
"""The seed's v1 codec (e2e file API: PBKDF2-HMAC-SHA256 100,000 iterations, AES-256-GCM), test-only.

The same calls as the seed's upload and download snippets, without the HTTP. Reads one JSON object on stdin:
    {"op": "encrypt", "passphrase": "...", "plaintext_b64": "..."}   -> {"salt_b64", "iv_b64", "ciphertext_b64"}
    {"op": "decrypt", "passphrase": "...", "salt_b64", "iv_b64", "ciphertext_b64"} -> {"plaintext_b64"} or exit 3
"""

import base64
import json
import os
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


def derive(passphrase, salt):
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=100000)
    return kdf.derive(passphrase.encode("utf-8"))


def main():
    request = json.load(sys.stdin)
    b64 = lambda name: base64.b64decode(request[name])
    if request["op"] == "encrypt":
        salt = os.urandom(16)
        iv = os.urandom(12)
        ciphertext = AESGCM(derive(request["passphrase"], salt)).encrypt(iv, b64("plaintext_b64"), None)
        out = {"salt_b64": base64.b64encode(salt).decode(), "iv_b64": base64.b64encode(iv).decode(), "ciphertext_b64": base64.b64encode(ciphertext).decode()}
    else:
        try:
            plaintext = AESGCM(derive(request["passphrase"], b64("salt_b64"))).decrypt(b64("iv_b64"), b64("ciphertext_b64"), None)
        except InvalidTag:
            print("bad tag", file=sys.stderr)
            return 3
        out = {"plaintext_b64": base64.b64encode(plaintext).decode()}
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
