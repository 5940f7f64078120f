#!/usr/bin/python3
"""Writes test/vectors/send-key-v1.json: vectors of the sent-file key (docs/formats/send-key-v1.md).

PyNaCl is the independent reference: every box here is sealed with nacl.public.Box from fixed keys and nonces, and
every negative vector is derived from a positive one. test/vectors/send-key-vectors.test.ts checks the file with
src/crypto only. Also a reference opener for the test: `--open JSON` reads {boxed, sender_public, recipient_secret}
and prints the payload fields, or exits 1 when the box does not open.

    /usr/bin/python3 test/vectors/generate_send_key_vectors.py           # (re)write the JSON
    /usr/bin/python3 test/vectors/generate_send_key_vectors.py --check   # recompute, compare, write nothing
"""

import base64
import hashlib
import json
import os
import sys
import uuid

from nacl.public import Box, PrivateKey, PublicKey

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(HERE, "send-key-v1.json")
MAGIC = b"BVSEND"
VERSION = 1


def fixed(label, length):
    """Deterministic bytes for a named input (no randomness: the file is the same on every run)."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(("blindvault send-key-v1 vectors/%s/%d" % (label, counter)).encode()).digest()
        counter += 1
    return out[:length]


def fixed_uuid(label):
    b = bytearray(fixed(label, 16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(b)))


def payload(file_id, sender_id, recipient_id, file_key, magic=MAGIC, version=VERSION):
    return magic + bytes([version]) + uuid.UUID(file_id).bytes + uuid.UUID(sender_id).bytes + uuid.UUID(recipient_id).bytes + file_key


def seal(sender_sk, recipient_pk, message, nonce):
    sealed = Box(sender_sk, recipient_pk).encrypt(message, nonce)  # nonce ‖ tag ‖ ciphertext
    return base64.b64encode(bytes(sealed)).decode()


def open_box(boxed_b64, sender_pk_hex, recipient_sk_hex):
    data = base64.b64decode(boxed_b64, validate=True)
    box = Box(PrivateKey(bytes.fromhex(recipient_sk_hex)), PublicKey(bytes.fromhex(sender_pk_hex)))
    message = box.decrypt(data[24:], data[:24])
    if len(message) != 87 or message[:6] != MAGIC or message[6] != VERSION:
        raise ValueError("not a send-key v1 payload")
    return {
        "file_id": str(uuid.UUID(bytes=message[7:23])),
        "sender_id": str(uuid.UUID(bytes=message[23:39])),
        "recipient_id": str(uuid.UUID(bytes=message[39:55])),
        "file_key_hex": message[55:87].hex(),
    }


def build():
    sender = PrivateKey(fixed("sender secret key", 32))
    recipient = PrivateKey(fixed("recipient secret key", 32))
    third = PrivateKey(fixed("third user secret key", 32))
    ids = {
        "file_id": fixed_uuid("file id"),
        "sender_id": fixed_uuid("sender id"),
        "recipient_id": fixed_uuid("recipient id"),
    }
    file_key = fixed("file key", 32)
    nonce = fixed("nonce", 24)
    good = seal(sender, recipient.public_key, payload(ids["file_id"], ids["sender_id"], ids["recipient_id"], file_key), nonce)
    raw = bytearray(base64.b64decode(good))

    def flipped(offset):
        b = bytearray(raw)
        b[offset] ^= 0x01
        return base64.b64encode(bytes(b)).decode()

    other_file = fixed_uuid("another file id")
    vectors = [
        {"id": "ok", "description": "a send-key sealed by the sender for the recipient", "boxed": good, "outcome": "ok"},
        {
            "id": "third_party_seal",
            "description": "sealed by a third user for the recipient, claiming the sender's id: does not open with the sender's key",
            "boxed": seal(third, recipient.public_key, payload(ids["file_id"], ids["sender_id"], ids["recipient_id"], file_key), nonce),
            "outcome": "invalid",
        },
        {
            "id": "other_file",
            "description": "a genuine send-key of the same sender for another file",
            "boxed": seal(sender, recipient.public_key, payload(other_file, ids["sender_id"], ids["recipient_id"], file_key), nonce),
            "outcome": "invalid",
        },
        {
            "id": "other_recipient_id",
            "description": "sealed to the recipient's key but naming another recipient id",
            "boxed": seal(sender, recipient.public_key, payload(ids["file_id"], ids["sender_id"], ids["file_id"], file_key), nonce),
            "outcome": "invalid",
        },
        {
            "id": "bad_version",
            "description": "version 2 is refused",
            "boxed": seal(sender, recipient.public_key, payload(ids["file_id"], ids["sender_id"], ids["recipient_id"], file_key, version=2), nonce),
            "outcome": "invalid",
        },
        {"id": "flipped_nonce", "description": "one bit of the nonce flipped", "boxed": flipped(3), "outcome": "invalid"},
        {"id": "flipped_tag", "description": "one bit of the tag flipped", "boxed": flipped(24), "outcome": "invalid"},
        {"id": "flipped_key", "description": "one bit of the boxed file key flipped", "boxed": flipped(len(raw) - 1), "outcome": "invalid"},
        {"id": "short", "description": "the last byte cut", "boxed": base64.b64encode(bytes(raw[:-1])).decode(), "outcome": "invalid"},
    ]
    for v in vectors:
        if v["outcome"] == "ok":
            assert open_box(v["boxed"], sender.public_key.encode().hex(), recipient.encode().hex())["file_key_hex"] == file_key.hex()
    return {
        "format": "send-key-v1",
        "sender_secret_key_hex": sender.encode().hex(),
        "sender_public_key_hex": sender.public_key.encode().hex(),
        "recipient_secret_key_hex": recipient.encode().hex(),
        "recipient_public_key_hex": recipient.public_key.encode().hex(),
        "third_public_key_hex": third.public_key.encode().hex(),
        **ids,
        "file_key_hex": file_key.hex(),
        "nonce_hex": nonce.hex(),
        "vectors": vectors,
    }


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--open":
        args = json.loads(sys.argv[2])
        try:
            print(json.dumps(open_box(args["boxed"], args["sender_public"], args["recipient_secret"])))
        except Exception as error:  # noqa: BLE001 - any failure to open is the answer
            print("does not open: %s" % type(error).__name__, file=sys.stderr)
            sys.exit(1)
        return
    if len(sys.argv) == 2 and sys.argv[1] == "--seal":
        # Reads {sender_secret, recipient_public, file_id, sender_id, recipient_id, file_key} on stdin: a fresh box.
        args = json.load(sys.stdin)
        message = payload(args["file_id"], args["sender_id"], args["recipient_id"], bytes.fromhex(args["file_key"]))
        print(seal(PrivateKey(bytes.fromhex(args["sender_secret"])), PublicKey(bytes.fromhex(args["recipient_public"])), message, os.urandom(24)))
        return
    text = json.dumps(build(), indent=2) + "\n"
    if len(sys.argv) == 2 and sys.argv[1] == "--check":
        with open(OUT_PATH) as f:
            if f.read() != text:
                print("send-key-v1.json differs from what the generator writes", file=sys.stderr)
                sys.exit(1)
        return
    with open(OUT_PATH, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
