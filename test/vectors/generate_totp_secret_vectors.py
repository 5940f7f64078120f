#!/usr/bin/env python3
"""Writes test/vectors/totp-secret-v1.json (docs/formats/totp-secret-v1.md) with PyNaCl; the TypeScript test opens them."""
import json
import os

import nacl.secret

KEY = bytes(range(32))
OTHER_KEY = bytes(32 - i for i in range(32))
FACTOR_ID = "0f8e5a3c-7d2b-4e61-9a10-3b5c7d9e1f20"
OTHER_ID = "11111111-2222-4333-8444-555555555555"
SECRET = b"12345678901234567890"  # the RFC 6238 appendix B SHA1 secret
NONCE = bytes(range(100, 124))


def seal(key, factor_id, secret, version=1):
    box = nacl.secret.SecretBox(key).encrypt(bytes.fromhex(factor_id.replace("-", "")) + secret, NONCE)
    return (bytes([version]) + NONCE + box.ciphertext).hex()


good = seal(KEY, FACTOR_ID, SECRET)
tampered = good[:-2] + ("00" if good[-2:] != "00" else "01")
vectors = {
    "key": KEY.hex(),
    "factor_id": FACTOR_ID,
    "secret": SECRET.hex(),
    "vectors": [
        {"name": "sealed", "sealed": good, "key": KEY.hex(), "factor_id": FACTOR_ID, "expected": "ok"},
        {"name": "other server key", "sealed": good, "key": OTHER_KEY.hex(), "factor_id": FACTOR_ID, "expected": "wrong_key"},
        {"name": "copied onto another factor", "sealed": good, "key": KEY.hex(), "factor_id": OTHER_ID, "expected": "wrong_id"},
        {"name": "version 2", "sealed": seal(KEY, FACTOR_ID, SECRET, 2), "key": KEY.hex(), "factor_id": FACTOR_ID, "expected": "bad_version"},
        {"name": "flipped tag byte", "sealed": tampered, "key": KEY.hex(), "factor_id": FACTOR_ID, "expected": "bad_tag"},
    ],
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "totp-secret-v1.json")
with open(path, "w") as f:
    json.dump(vectors, f, indent=2)
    f.write("\n")
