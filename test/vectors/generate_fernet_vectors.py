#!/usr/bin/python3
"""Writes test/vectors/fernet.json: Fernet tokens made and checked by Python's `cryptography.fernet`.

The invalid cases follow the Fernet spec's list (incorrect MAC, too short, invalid base64, payload size not a
multiple of the block size, padding error, far-future timestamp, expired TTL, incorrect IV), made here with fixed
inputs; Python asserts that it refuses each one. The TypeScript test test/vectors/fernet-vectors.test.ts checks the
same file with src/crypto/fernet.ts, and sends its own tokens back here (--decrypt) to be opened by Python.

    /usr/bin/python3 test/vectors/generate_fernet_vectors.py           # (re)write the JSON
    /usr/bin/python3 test/vectors/generate_fernet_vectors.py --check   # recompute, compare, write nothing
    /usr/bin/python3 test/vectors/generate_fernet_vectors.py --decrypt < {"key", "token", "ttl", "now"}  # -> plaintext hex

Never edit the JSON by hand.
"""

import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fernet.json")
KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.urlsafe_b64encode(bytes(range(100, 132))).decode()
IV = bytes(range(16))
NOW = 499162800  # 1985-10-26T01:20:00Z


def b64(data):
    return base64.urlsafe_b64encode(data).decode()


def sign(key, body):
    raw = base64.urlsafe_b64decode(key)
    return body + hmac.new(raw[:16], body, hashlib.sha256).digest()


def raw_token(key, plaintext, timestamp, iv, pad=True):
    """A token built field by field (for the malformed cases Fernet itself would never make)."""
    raw = base64.urlsafe_b64decode(key)
    if pad:
        padder = padding.PKCS7(128).padder()
        plaintext = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(raw[16:]), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return sign(key, b"\x80" + timestamp.to_bytes(8, "big") + iv + ciphertext)


def python_decrypt(key, token, ttl, now):
    f = Fernet(key)
    if ttl is None:
        return f.decrypt(token.encode())
    return f.decrypt_at_time(token.encode(), ttl=ttl, current_time=now)


def build():
    vectors = []

    def add(vid, description, token, outcome, plaintext=None, key=KEY, ttl=None, now=NOW):
        try:
            got = python_decrypt(key, token, ttl, now)
            result = "ok"
        except InvalidToken:
            got, result = None, "invalid_token"
        assert result == outcome, f"{vid}: python says {result}"
        if outcome == "ok":
            assert got == plaintext, vid
        vectors.append(
            {
                "id": vid,
                "description": description,
                "inputs": {"key": key, "token": token, "ttl_seconds": ttl, "now": now},
                "outcome": outcome,
                **({"plaintext_hex": plaintext.hex()} if outcome == "ok" else {}),
            }
        )

    f = Fernet(KEY)
    for vid, text in (("hello", b"hello"), ("empty", b""), ("block", b"0123456789abcdef"), ("long", bytes(range(256)) * 4)):
        add(vid, f"{len(text)} bytes, made by Fernet", f._encrypt_from_parts(text, NOW, IV).decode(), "ok", text)
        add(f"{vid}-ttl", f"{len(text)} bytes, checked with a 60 s TTL 59 s later", f._encrypt_from_parts(text, NOW - 59, IV).decode(), "ok", text, ttl=60)
    good = f._encrypt_from_parts(b"secret message", NOW, IV)
    add("article-utf8", "the article's message, UTF-8", f._encrypt_from_parts("This is a secret message".encode(), NOW, IV).decode(), "ok", b"This is a secret message")
    add("skew-59", "stamped 59 s in the future, with a TTL: within the 60 s skew", f._encrypt_from_parts(b"x", NOW + 59, IV).decode(), "ok", b"x", ttl=10)

    data = bytearray(base64.urlsafe_b64decode(good))
    bad_mac = bytes(data[:-1]) + bytes([data[-1] ^ 1])
    add("incorrect-mac", "the last MAC byte flipped", b64(bad_mac), "invalid_token")
    add("wrong-key", "a token made under another key", good.decode(), "invalid_token", key=OTHER_KEY)
    add("too-short", "a token of 8 bytes", b64(b"\x80" + bytes(7)), "invalid_token")
    add("too-short-header", "a token of the header and MAC only", b64(sign(KEY, b"\x80" + NOW.to_bytes(8, "big") + IV)), "invalid_token")
    add("invalid-base64", "characters outside the url-safe alphabet", good.decode()[:20] + "%%%%" + good.decode()[24:], "invalid_token")
    add("missing-padding", "the trailing '=' removed", good.decode().rstrip("="), "invalid_token")
    add("version", "version byte 0x81", b64(sign(KEY, b"\x81" + bytes(data[1:-32]))), "invalid_token")
    add("not-block-multiple", "a ciphertext of 15 bytes", b64(sign(KEY, b"\x80" + NOW.to_bytes(8, "big") + IV + bytes(15))), "invalid_token")
    add("padding-error", "a signed ciphertext whose padding is wrong", b64(raw_token(KEY, bytes(16), NOW, IV, pad=False)), "invalid_token")
    add("far-future", "stamped 61 s in the future, with a TTL", f._encrypt_from_parts(b"x", NOW + 61, IV).decode(), "invalid_token", ttl=3600)
    add("expired", "61 s old with a 60 s TTL", f._encrypt_from_parts(b"x", NOW - 61, IV).decode(), "invalid_token", ttl=60)
    tampered_iv = bytearray(raw_token(KEY, b"secret", NOW, IV)[:-32])
    tampered_iv[9 + 15] ^= 0xFF
    add("incorrect-iv", "the IV's last byte changed and the token signed again: a padding error", b64(sign(KEY, bytes(tampered_iv))), "invalid_token")
    add("iv-changed-unsigned", "the IV changed after signing", b64(bytes(tampered_iv) + raw_token(KEY, b"secret", NOW, IV)[-32:]), "invalid_token")
    return {"format": "Fernet (cryptography.fernet)", "generator": "test/vectors/generate_fernet_vectors.py", "vectors": vectors}


def main():
    if "--decrypt" in sys.argv:
        request = json.load(sys.stdin)
        try:
            plaintext = python_decrypt(request["key"], request["token"], request.get("ttl"), request.get("now"))
        except InvalidToken:
            print("InvalidToken", file=sys.stderr)
            return 3
        print(plaintext.hex())
        return 0
    text = json.dumps(build(), indent=2) + "\n"
    if "--check" in sys.argv:
        with open(OUT_PATH, encoding="utf-8") as f:
            if f.read() != text:
                print("fernet.json differs from what the generator makes", file=sys.stderr)
                return 1
        print("fernet.json: ok")
        return 0
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {OUT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
