#!/usr/bin/python3
"""Writes test/vectors/file-v2.json: vectors of file format v2 (docs/formats/file-v2.md).

Python is the independent reference: this script seals with `cryptography` (HKDF, HMAC, AES-256-GCM) and PyNaCl
(Argon2id), derives every negative vector from a positive one, and asserts that the reference decryptor
test/interop/file_v2_decrypt.py gives each vector its stated outcome and released plaintext. The TypeScript test
test/vectors/file-v2-vectors.test.ts checks the same file with src/crypto only.

    /usr/bin/python3 test/vectors/generate_file_v2_vectors.py           # (re)write the JSON
    /usr/bin/python3 test/vectors/generate_file_v2_vectors.py --check   # recompute, compare with the file, write nothing

Every input is fixed below, so the output is the same on every run. Never edit the JSON by hand.
"""

import base64
import hashlib
import hmac
import io
import json
import os
import struct
import sys
import unicodedata

import nacl.pwhash
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
import file_v2_decrypt  # noqa: E402

OUT_PATH = os.path.join(HERE, "file-v2.json")
R = 16384  # the smallest allowed record size keeps multi-record vectors small


def pattern(length, seed):
    """The plaintext of a vector: byte i is (i * 7 + seed) mod 251 (the TypeScript test rebuilds it)."""
    return bytes((i * 7 + seed) % 251 for i in range(length))


def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def seal(plaintext, record_size, stream_nonce, key=None, passphrase=None, salt=None, t=2, m=19456):
    exponent = record_size.bit_length() - 1
    assert 2**exponent == record_size
    if passphrase is None:
        fields = b"BVFILE" + bytes([2, 1, exponent]) + stream_nonce
        file_key = key
    else:
        fields = b"BVFILE" + bytes([2, 2, exponent, 1]) + struct.pack(">II", t, m) + salt + stream_nonce
        pw = unicodedata.normalize("NFC", passphrase).encode("utf-8")
        file_key = nacl.pwhash.argon2id.kdf(32, pw, salt, opslimit=t, memlimit=m * 1024)
    mac = hmac.new(hkdf(file_key, b"", b"blindvault/file-v2/header"), fields, hashlib.sha256).digest()
    aead = AESGCM(hkdf(file_key, stream_nonce, b"blindvault/file-v2/payload"))
    n = max(1, -(-len(plaintext) // record_size))
    records = []
    for i in range(n):
        chunk = plaintext[i * record_size : (i + 1) * record_size]
        nonce = i.to_bytes(11, "big") + (b"\x01" if i == n - 1 else b"\x00")
        records.append(aead.encrypt(nonce, chunk, None))
    return fields + mac, records, file_key


def apply_derivation(base, derive):
    """A negative vector's ciphertext from a base vector's: records rearranged (by index, after the header), then
    byte edits, a cut, and appended bytes, in that order."""
    header_length = derive["header_length"]
    sealed = derive.get("record_size", R) + 16
    data = bytearray(base)
    if "records" in derive:
        body = base[header_length:]
        records = [body[i : i + sealed] for i in range(0, len(body), sealed)]
        data = bytearray(base[:header_length] + b"".join(records[i] for i in derive["records"]))
    for edit in derive.get("xor", []):
        data[edit["offset"]] ^= edit["mask"]
    for edit in derive.get("set", []):
        value = bytes.fromhex(edit["hex"])
        data[edit["offset"] : edit["offset"] + len(value)] = value
    if "keep" in derive:
        data = data[: derive["keep"]]
    if "append_hex" in derive:
        data += bytes.fromhex(derive["append_hex"])
    if "append_record" in derive:
        body = base[header_length:]
        data += body[derive["append_record"] * sealed : (derive["append_record"] + 1) * sealed]
    return bytes(data)


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def reference_outcome(ciphertext, key=None, passphrase=None):
    sink = io.BytesIO()
    try:
        file_v2_decrypt.decrypt_stream(io.BytesIO(ciphertext), sink, key=key, passphrase=passphrase)
        return "ok", sink.getvalue()
    except file_v2_decrypt.Failure as failure:
        return failure.outcome, sink.getvalue()


KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
NONCE = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
SALT = bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0f")
PASSPHRASE = "p\u00e4ss w\u00f6rd"  # composed (NFC)
PASSPHRASE_NFD = unicodedata.normalize("NFD", PASSPHRASE)


def build():
    vectors = []

    bases = {}

    def add(vid, description, ciphertext, outcome, expected_plaintext, key=None, passphrase=None, construction=None, derive=None):
        if derive is not None:
            ciphertext = apply_derivation(bases[derive["from"]], derive)
        else:
            bases[vid] = ciphertext
        got, released = reference_outcome(ciphertext, key=key, passphrase=passphrase)
        assert got == outcome, f"{vid}: reference decryptor says {got}, vector says {outcome}"
        if outcome == "ok":
            assert released == expected_plaintext, vid
        else:
            assert expected_plaintext.startswith(released), vid
        vector = {
            "id": vid,
            "description": description,
            "inputs": {
                **({"key_b64url": base64.urlsafe_b64encode(key).decode().rstrip("=")} if key is not None else {}),
                **({"passphrase": passphrase} if passphrase is not None else {}),
                **({"ciphertext_b64": base64.b64encode(ciphertext).decode()} if derive is None else {"derive": derive}),
            },
            "outcome": outcome,
        }
        if outcome == "ok":
            vector["plaintext_sha256"] = sha256_hex(released)
            vector["plaintext_length"] = len(released)
        else:
            vector["released_sha256"] = sha256_hex(released)
            vector["released_length"] = len(released)
        if construction is not None:
            vector["construction"] = construction
        vectors.append(vector)

    plaintexts = {}
    for length in (0, 1, R - 1, R, R + 1, 2 * R + 7):
        seed = length % 251
        plaintext = pattern(length, seed)
        header, records, _ = seal(plaintext, R, NONCE, key=KEY)
        plaintexts[length] = (plaintext, header, records)
        add(
            f"key-{length}",
            f"random key, record size {R}, {length} bytes of pattern(seed {seed})",
            header + b"".join(records),
            "ok",
            plaintext,
            key=KEY,
            construction={"record_size": R, "stream_nonce_hex": NONCE.hex(), "pattern_seed": seed, "plaintext_length": length},
        )

    plaintext = pattern(2 * R + 5, 3)
    header, records, _ = seal(plaintext, R, NONCE, passphrase=PASSPHRASE, salt=SALT)
    ciphertext = header + b"".join(records)
    construction = {
        "record_size": R,
        "stream_nonce_hex": NONCE.hex(),
        "salt_hex": SALT.hex(),
        "ops_limit": 2,
        "mem_limit_kib": 19456,
        "pattern_seed": 3,
        "plaintext_length": len(plaintext),
    }
    add("passphrase-ok", "passphrase (NFC), Argon2id t=2 m=19456 KiB, 3 records", ciphertext, "ok", plaintext, passphrase=PASSPHRASE, construction=construction)
    pp = {"from": "passphrase-ok", "header_length": 82}
    add("passphrase-nfd", "the same file opened with the decomposed (NFD) spelling of the passphrase", None, "ok", plaintext, passphrase=PASSPHRASE_NFD, derive=pp)
    add("passphrase-wrong", "a wrong passphrase", None, "wrong_key", plaintext, passphrase=PASSPHRASE + "!", derive=pp)
    add("passphrase-t-below-floor", "Argon2id t=1 (below the floor)", None, "bad_header", plaintext, passphrase=PASSPHRASE, derive={**pp, "set": [{"offset": 10, "hex": "00000001"}]})
    add("passphrase-m-above-ceiling", "Argon2id m=262145 KiB (above the ceiling)", None, "bad_header", plaintext, passphrase=PASSPHRASE, derive={**pp, "set": [{"offset": 14, "hex": "00040001"}]})
    add("passphrase-m-altered", "Argon2id m raised to 19457 KiB: in bounds, so the MAC catches it", None, "wrong_key", plaintext, passphrase=PASSPHRASE, derive={**pp, "set": [{"offset": 14, "hex": "00004c01"}]})
    add("passphrase-kdf-unknown", "KDF id 2", None, "bad_header", plaintext, passphrase=PASSPHRASE, derive={**pp, "set": [{"offset": 9, "hex": "02"}]})

    plaintext, header, records = plaintexts[2 * R + 7]
    three = {"from": f"key-{2 * R + 7}", "header_length": 57}
    size = 57 + 2 * R + 7 + 3 * 16

    def neg(vid, description, outcome, key=KEY, **derive):
        add(vid, description, None, outcome, plaintext, key=key, derive={**three, **derive})

    neg("wrong-key", "another random key", "wrong_key", key=OTHER_KEY)
    neg("header-record-size-altered", "record size exponent 14 -> 16 (allowed, so the MAC catches it)", "wrong_key", set=[{"offset": 8, "hex": "10"}])
    neg("header-record-size-not-allowed", "record size exponent 15", "bad_header", set=[{"offset": 8, "hex": "0f"}])
    neg("header-magic", "magic BVFILF", "bad_header", set=[{"offset": 5, "hex": "46"}])
    neg("header-version", "version 3", "bad_header", set=[{"offset": 6, "hex": "03"}])
    neg("header-key-mode", "key mode 3", "bad_header", set=[{"offset": 7, "hex": "03"}])
    neg("header-mac-flipped", "last byte of the header MAC flipped", "wrong_key", xor=[{"offset": 56, "mask": 1}])
    neg("header-nonce-flipped", "a stream nonce byte flipped", "wrong_key", xor=[{"offset": 12, "mask": 128}])
    neg("cut-in-header", "the stream ends inside the header", "truncated", keep=40)
    neg("header-only", "the header and no record", "truncated", keep=57)
    neg("drop-final", "the final record dropped (a cut at a record boundary)", "truncated", records=[0, 1])
    neg("drop-middle", "record 1 dropped", "bad_tag", records=[0, 2])
    neg("swap", "records 0 and 1 swapped", "bad_tag", records=[1, 0, 2])
    neg("duplicate", "record 0 twice", "bad_tag", records=[0, 0, 1, 2])
    neg("flip-record-1", "a byte of record 1 flipped", "bad_tag", xor=[{"offset": 57 + R + 16 + 100, "mask": 1}])
    neg("flip-last-tag", "the last byte of the final tag flipped", "bad_tag", xor=[{"offset": size - 1, "mask": 1}])
    neg("cut-in-final", "the final record cut short by 1 byte", "bad_tag", keep=size - 1)
    neg("stub-after-full", "16 bytes after two full records", "truncated", keep=57 + 2 * (R + 16) + 16)
    neg("appended-byte", "one byte after the final record", "bad_tag", append_hex="00")
    neg("appended-record", "the final record again after itself", "bad_tag", append_record=2)

    plaintext, header, records = plaintexts[R]
    add("full-final-appended", "a full-size final record followed by one byte", None, "bad_tag", plaintext, key=KEY, derive={"from": f"key-{R}", "header_length": 57, "append_hex": "01"})
    plaintext, header, records = plaintexts[R + 1]
    add("full-then-cut", "R+1 bytes: only the first (not-final) full record", None, "truncated", plaintext, key=KEY, derive={"from": f"key-{R + 1}", "header_length": 57, "records": [0]})

    return {
        "format": "blindvault file v2 (docs/formats/file-v2.md)",
        "generator": "test/vectors/generate_file_v2_vectors.py",
        "plaintext_pattern": "byte i = (i * 7 + seed) mod 251",
        "outcomes": ["ok", "bad_tag", "truncated", "wrong_key", "bad_header"],
        "vectors": vectors,
    }


def main():
    text = json.dumps(build(), indent=2) + "\n"
    if "--check" in sys.argv:
        with open(OUT_PATH, encoding="utf-8") as f:
            if f.read() != text:
                print("file-v2.json differs from what the generator makes", file=sys.stderr)
                return 1
        print("file-v2.json: ok")
        return 0
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {OUT_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
