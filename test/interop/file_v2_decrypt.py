#!/usr/bin/python3
"""Reference decryptor of Blindvault file format v2 (docs/formats/file-v2.md), test-only.

Written from the format document alone, with Python's `cryptography` (HKDF, HMAC, AES-256-GCM) and PyNaCl
(Argon2id), to check the TypeScript implementation from the outside. It streams: it reads one record at a time
and writes a record's plaintext only after its tag verifies.

    file_v2_decrypt.py --key-b64url KEY < file.bv > plain        # random-key file (the link's fragment)
    file_v2_decrypt.py --passphrase-file F < file.bv > plain      # passphrase file

Exit codes: 0 ok, 2 bad_header, 3 wrong_key, 4 bad_tag, 5 truncated, 64 usage. The outcome name goes to stderr.
"""

import argparse
import base64
import hashlib
import hmac
import struct
import sys
import unicodedata

import nacl.pwhash
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"BVFILE"
VERSION = 2
RECORD_EXPONENTS = (14, 16, 18, 20)
T_MIN, T_MAX = 2, 10
M_MIN_KIB, M_MAX_KIB = 19456, 262144
TAG = 16
MAX_RECORDS = 2**32
EXIT = {"ok": 0, "bad_header": 2, "wrong_key": 3, "bad_tag": 4, "truncated": 5}


class Failure(Exception):
    def __init__(self, outcome, reason):
        super().__init__(f"{outcome}: {reason}")
        self.outcome = outcome


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def read_exactly(stream, n):
    out = b""
    while len(out) < n:
        chunk = stream.read(n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def check_prefix(seen):
    expected = MAGIC + bytes([VERSION])
    for i, b in enumerate(seen[: len(expected)]):
        if b != expected[i]:
            raise Failure("bad_header", "magic" if i < len(MAGIC) else "version")


def read_header(stream):
    """Returns (header bytes, fields dict); raises Failure('bad_header'|'truncated')."""
    prefix = read_exactly(stream, 9)
    check_prefix(prefix)
    if len(prefix) < 9:
        raise Failure("truncated", "inside the header")
    if prefix[8] not in RECORD_EXPONENTS:
        raise Failure("bad_header", "record size")
    mode = prefix[7]
    if mode == 1:
        rest = read_exactly(stream, 16 + 32)
        if len(rest) < 48:
            raise Failure("truncated", "inside the header")
        header = prefix + rest
        return header, {"mode": "key", "record_size": 2 ** prefix[8], "stream_nonce": header[9:25]}
    if mode != 2:
        raise Failure("bad_header", "key mode")
    rest = read_exactly(stream, 1 + 4 + 4 + 16 + 16 + 32)
    if len(rest) < 1:
        raise Failure("truncated", "inside the header")
    if rest[0] != 1:
        raise Failure("bad_header", "KDF id")
    if len(rest) < 9:
        raise Failure("truncated", "inside the header")
    t, m = struct.unpack(">II", rest[1:9])
    if not (T_MIN <= t <= T_MAX and M_MIN_KIB <= m <= M_MAX_KIB):
        raise Failure("bad_header", "Argon2id parameters out of bounds")
    if len(rest) < 73:
        raise Failure("truncated", "inside the header")
    header = prefix + rest
    return header, {"mode": "passphrase", "record_size": 2 ** prefix[8], "t": t, "m": m, "salt": header[18:34], "stream_nonce": header[34:50]}


def file_key_for(fields, key=None, passphrase=None):
    if fields["mode"] == "key":
        if key is None or len(key) != 32:
            raise Failure("wrong_key", "a random-key file needs its 32-byte key")
        return key
    if passphrase is None:
        raise Failure("wrong_key", "a passphrase file needs its passphrase")
    pw = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return nacl.pwhash.argon2id.kdf(32, pw, fields["salt"], opslimit=fields["t"], memlimit=fields["m"] * 1024)


def record_nonce(index, last):
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def decrypt_stream(source, sink, key=None, passphrase=None):
    """Decrypts source into sink (file objects). Raises Failure; what was written before is the released plaintext."""
    header, fields = read_header(source)
    file_key = file_key_for(fields, key, passphrase)
    mac_key = hkdf(file_key, b"", b"blindvault/file-v2/header")
    if not hmac.compare_digest(hmac.new(mac_key, header[:-32], hashlib.sha256).digest(), header[-32:]):
        raise Failure("wrong_key", "header MAC")
    aead = AESGCM(hkdf(file_key, fields["stream_nonce"], b"blindvault/file-v2/payload"))
    sealed_size = fields["record_size"] + TAG
    index = 0
    current = read_exactly(source, sealed_size)
    while True:
        if index >= MAX_RECORDS:
            raise Failure("bad_tag", "too many records")
        following = read_exactly(source, 1) if len(current) == sealed_size else b""
        if following:
            try:
                sink.write(aead.decrypt(record_nonce(index, False), current, None))
            except InvalidTag:
                raise Failure("bad_tag", f"record {index}") from None
            index += 1
            current = following + read_exactly(source, sealed_size - 1)
            continue
        # The end of the stream: `current` must be the final record.
        if len(current) == 0 or len(current) < TAG or (len(current) == TAG and index > 0):
            raise Failure("truncated", "no final record")
        try:
            sink.write(aead.decrypt(record_nonce(index, True), current, None))
            return
        except InvalidTag:
            pass
        if len(current) == sealed_size:
            try:
                aead.decrypt(record_nonce(index, False), current, None)
                raise Failure("truncated", "the last record is not final")
            except InvalidTag:
                pass
        raise Failure("bad_tag", f"record {index}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--key-b64url")
    group.add_argument("--passphrase-file")
    args = parser.parse_args()
    key = passphrase = None
    if args.key_b64url is not None:
        text = args.key_b64url.lstrip("#")
        if len(text) != 43:
            print("bad key", file=sys.stderr)
            return 64
        key = base64.urlsafe_b64decode(text + "=")
    else:
        with open(args.passphrase_file, encoding="utf-8") as f:
            passphrase = f.read().rstrip("\r\n")
    try:
        decrypt_stream(sys.stdin.buffer, sys.stdout.buffer, key=key, passphrase=passphrase)
    except Failure as failure:
        sys.stdout.buffer.flush()
        print(failure.outcome, file=sys.stderr)
        return EXIT[failure.outcome]
    sys.stdout.buffer.flush()
    print("ok", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
