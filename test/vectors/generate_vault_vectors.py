#!/usr/bin/python3
"""Writes test/vectors/vault-v1.json: the vault test vectors V1-V15 of docs spec vault-protocol.md section 2.10.

Every vector is recomputed here from its inputs with PyNaCl (Debian python3-nacl) and hashlib, and asserted to equal
the value printed in the spec (copied below as constants). Negative vectors (bad_tag, wrong_key, truncated,
bad_signature) are derived from the positive ones and asserted to fail here too. The TypeScript test
test/vectors/vault-vectors.test.ts reads the same file and checks it with src/crypto only.

    /usr/bin/python3 test/vectors/generate_vault_vectors.py           # (re)write the JSON
    /usr/bin/python3 test/vectors/generate_vault_vectors.py --check   # recompute, compare with the file, write nothing

Never edit the JSON by hand: change this script and re-run it.
"""

import hashlib
import json
import os
import sys

import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.secret
import nacl.signing

OUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vault-v1.json")

DEFAULT_PARAMS = {"u": 14, "r": 8, "p": 1, "l": 64}

# ---- Expected values, copied from spec section 2.10 (and 1.2 for V15) ---------------------------------------------

V1_AUTHKEY = "1ad635d464917db74a127b3de19c5bec9df932472c3e31ca8b18e872c641e8c828e9da35543ef36c0b013ab6c549a7ddbfe7b52b08e9e8704aca69f4c2fd68ea"
V2_AUTHKEY = "3d97a9354e99760d543761c168b655ccc7e565ddd6ef1d6b83df66d8b50bc62708dfe2c2dc56a628fa24b71bf75fc49db85ce11fd64fadb0e458f3780dde1899"
V3_AUTHKEY = "31297ddbd2df5f8cd715289e45756aec329b6a0735d06c162e3c0247b793fe2386512121e3c87fb8ab4fe548fd6d25081b174338904adeddfea5a4571e04d15e"
V4_KEK = "e783a1bf1e49212a5b0f4c1b70d210c28478297139c1ca830901d06f053d7c76"
V5_NONCE = "f09293db1a4d875c7cfb939e2e83c2c0c9455de898e9b745"
V5_TEXT = "dc7173d3e66cfda6057f16c752953aa91c452eb8df042b7a"
V5_PLAINTEXT = "mySecret"
V6_SAUCE = "6168de45af90c335967a8f9eae76f8f19bcb42fb8c3f602fee35f7617acdc489"
V6_KEK = "59bff52ef59a655dbe2ad6ccb198f29a6f37b5587e67f0181a97a53f93dc7a5d"
V6_NONCE = "ff786149d8242bb7802379bc5fd2f9ccc744a2e1f18bb0a8"
V6_TEXT = "a92528f78ca1f0812a4fb2ee5de4d16eb75d434318"
V6_PLAINTEXT = "12345"
V7_KEY = "9f3edbf7760d8ec1e8fd4a9c623b4fe569f324bf42c78770ef0a40a56495f92d"
V7_NONCE = "d65673e9abcf379493bba61a576535a82bcf8d735a915390"
V7_TEXT = "9429f56f028a82ec44651bb7ea6b9f8baab3cd137e"
V7_PLAINTEXT = "12345"
V8_SENDER_SK = "a04c3fbcb4dcf5df44bc433668bb686aac8991f83e993b971e73a0b37ace362c"
V8_SENDER_PK = "57531faba711e6e9bdea25229e63db4ce6eb79f0872d97cbfec74df0382dbf3a"
V8_RECIPIENT_SK = "035f8aa4c86658a36d995df47c8e3d1e9a7a2a2f3efdcbdc1451ed4354350660"
V8_RECIPIENT_PK = "ed7293c239164855aca4c2e6edb19e09bba41e3451603ec427782d45f2d57b39"
V8_NONCE = "538a2fc024e1ff7a791da88874099709bdb60ad62653529b"
V8_TEXT = "0eedec49906748988b011741c8df4214e4dbeeda76"
V8_PLAINTEXT = "12345"
V9_VERIFY_KEY = "967fd5c3c8386609c1ac57209a6f68a147a56518a7ed5df3285beea58d671f62"
V9_MESSAGE = "test message that is some nice text or whatever that needs to be encrypted"
V9_SIGNATURE = "6e3302a696092fe3893d971391f94f2cb850d19fbbae9978122f0f465593bc06e65440e0ec929805b58e63fe719983201754a2a578c906c18b8ffa71e3234502"
V10_PRIVATE_KEY = "302650c3c82f7111c2e8ceb660d32173cdc8c3d7717f1d4f982aad5234648fcb"
V10_X25519_PUBLIC = "02da2ad857321d701d754a7e60d0a147cdbc400ff4465e1f57bc2d9fbfeddf0b"
V10_VERIFY_KEY = "4ce9e761e1d458fe18af577c50eb8249a0de535c9bd6b7a97885c331b46dcbd1"
V11_SEED = "11" * 32
V11_VERIFY_KEY = "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737"
V11_X25519_PUBLIC = "7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13"
V12_SESSION_SECRET_KEY = "22" * 32
V12_SESSION_PUBLIC_KEY = "0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20"
V12_INFO = (
    '{"api_key_id": "0f0e0d0c-0b0a-4908-8706-050403020100", '
    '"session_public_key": "0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20", '
    '"device_description": "Console Client test"}'
)
V12_SIGNATURE = "5fc9c8ee07d818d784cdb25bf442fde59bbf8afda1c5276297b9a92bff451920055c980a08ec4f8e3bd38093d08b07aa6c06aaa49f414a853a845cc38b38a703"
V13_MESSAGE = "00ff"
V13_SIGNATURE = "537388e3ea5e02120b2a7fdc922f247f7b7154ffba2d214f5c2e3c29584cb7110ec16b3787e2fe73ff8a5093bcf88af81c0ff52be0c92255143808a4ac99cc0b"
V14_KEY = "44" * 32
V14_NONCE = "33" * 24
V14_PLAINTEXT = '{"datastores":[]}'
V14_TEXT = "2a0e9bf726dfa8d261fbf0aa583d3bf7ff28d8cbffd91f25b5667f183f1b49f0b8"
V15_TOKEN = "1234"
V15_HASH = "d404559f602eab6fd602ac7680dacbfaadd13630335e951f097af3900e9de176b6db28512f2e000b9d04fba5133e8b1c6e8df59db3a8ab9d60be4b97cc9e81db"

# Keys used by the wrong_key negatives: fixed, different from every key above (not derived by flipping a bit,
# since X25519 clamping would silently undo a flip in the low bits of byte 0 or the top bit of byte 31).
WRONG_SYMMETRIC_KEY = "55" * 32
WRONG_BOX_SECRET_KEY = "66" * 32


# ---- Primitives ----------------------------------------------------------------------------------------------------

def sha512_hex(text):
    return hashlib.sha512(text.encode("utf-8")).hexdigest()


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scrypt_hex(password, salt_text, params):
    n = 2 ** params["u"]
    r = params["r"]
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt_text.encode("utf-8"),
        n=n,
        r=r,
        p=params["p"],
        dklen=params["l"],
        maxmem=128 * r * (n + params["p"] + 2) + (1 << 20),
    ).hex()


def authkey(username, password, params):
    return scrypt_hex(password, sha512_hex(username.lower()), params)


def kek_hex(password, user_sauce, params):
    return sha256_hex(scrypt_hex(password, sha512_hex(user_sauce), params))


def secretbox_open(key_hex, nonce_hex, text_hex):
    """Plaintext bytes, or None if the box does not open."""
    try:
        return nacl.secret.SecretBox(bytes.fromhex(key_hex)).decrypt(bytes.fromhex(text_hex), bytes.fromhex(nonce_hex))
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        return None


def secretbox_seal(key_hex, nonce_hex, plaintext):
    return nacl.secret.SecretBox(bytes.fromhex(key_hex)).encrypt(plaintext, bytes.fromhex(nonce_hex)).ciphertext.hex()


def box_open(sender_pk_hex, recipient_sk_hex, nonce_hex, text_hex):
    try:
        box = nacl.public.Box(nacl.public.PrivateKey(bytes.fromhex(recipient_sk_hex)), nacl.public.PublicKey(bytes.fromhex(sender_pk_hex)))
        return box.decrypt(bytes.fromhex(text_hex), bytes.fromhex(nonce_hex))
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        return None


def box_seal(sender_sk_hex, recipient_pk_hex, nonce_hex, plaintext):
    box = nacl.public.Box(nacl.public.PrivateKey(bytes.fromhex(sender_sk_hex)), nacl.public.PublicKey(bytes.fromhex(recipient_pk_hex)))
    return box.encrypt(plaintext, bytes.fromhex(nonce_hex)).ciphertext.hex()


def x25519_public(sk_hex):
    return nacl.public.PrivateKey(bytes.fromhex(sk_hex)).public_key.encode().hex()


def ed25519_verify_key(seed_hex):
    return nacl.signing.SigningKey(bytes.fromhex(seed_hex)).verify_key.encode().hex()


def ed25519_sign(seed_hex, message):
    return nacl.signing.SigningKey(bytes.fromhex(seed_hex)).sign(message.encode("utf-8")).signature.hex()


def ed25519_verify(vk_hex, message, sig_hex):
    try:
        nacl.signing.VerifyKey(bytes.fromhex(vk_hex)).verify(message.encode("utf-8"), bytes.fromhex(sig_hex))
        return True
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError):
        return False


def flip_last_byte(text_hex):
    """One ciphertext byte flipped: the last byte of the encrypted body (not the tag), so the MAC must cover it."""
    raw = bytearray(bytes.fromhex(text_hex))
    raw[-1] ^= 0x01
    return raw.hex()


def flip_first_bit(sig_hex):
    raw = bytearray(bytes.fromhex(sig_hex))
    raw[0] ^= 0x01
    return raw.hex()


def truncate(text_hex):
    """15 bytes: shorter than the 16-byte Poly1305 tag."""
    return text_hex[: 2 * 15]


# ---- Checks --------------------------------------------------------------------------------------------------------

MISMATCHES = []


def expect_equal(vector_id, what, computed, expected):
    if computed != expected:
        MISMATCHES.append("%s %s: computed %s, spec says %s" % (vector_id, what, computed, expected))


def expect_true(vector_id, what, condition):
    if not condition:
        MISMATCHES.append("%s %s" % (vector_id, what))


def vector(vector_id, kind, inputs, expected, outcome="ok"):
    return {"id": vector_id, "kind": kind, "inputs": inputs, "expected": expected, "outcome": outcome}


def build_vectors():
    vectors = []
    params = dict(DEFAULT_PARAMS)

    # V1-V3: authkey = hex(scrypt(password, sha512hex(lower(username))))
    for vid, user, pw, want in (
        ("V1", "test@example.com", "123456", V1_AUTHKEY),
        ("V2", "test2@example.com", "1234567", V2_AUTHKEY),
        ("V3", "test@example.com", "myPassword", V3_AUTHKEY),
    ):
        expect_equal(vid, "authkey", authkey(user, pw, params), want)
        vectors.append(vector(vid, "authkey", {"username": user, "password": pw, "hashing_parameters": params}, {"authkey": want}))

    # V1-mixed_case_username (derived): section 2.2 lower-cases the username first, so this gives V1's authkey.
    expect_equal("V1-mixed_case_username", "authkey", authkey("Test@Example.COM", "123456", params), V1_AUTHKEY)
    vectors.append(vector(
        "V1-mixed_case_username", "authkey",
        {"username": "Test@Example.COM", "password": "123456", "hashing_parameters": params},
        {"authkey": V1_AUTHKEY},
    ))

    # V4: KEK = sha256(hex(scrypt(password, sha512hex(user_sauce))))
    v4_kek = kek_hex("myPassword", "userSauce", params)
    expect_equal("V4", "kek", v4_kek, V4_KEK)
    vectors.append(vector("V4", "kek", {"password": "myPassword", "user_sauce": "userSauce", "hashing_parameters": params}, {"kek": V4_KEK}))

    # V5, V6: derive the KEK, then open a secretbox under it
    for vid, pw, sauce, want_kek, nonce, text, plaintext in (
        ("V5", "myPassword", "userSauce", V4_KEK, V5_NONCE, V5_TEXT, V5_PLAINTEXT),
        ("V6", "myPassword", V6_SAUCE, V6_KEK, V6_NONCE, V6_TEXT, V6_PLAINTEXT),
    ):
        kek = kek_hex(pw, sauce, params)
        expect_equal(vid, "kek", kek, want_kek)
        expect_equal(vid, "plaintext", secretbox_open(want_kek, nonce, text), plaintext.encode("utf-8"))
        expect_equal(vid, "re-seal", secretbox_seal(want_kek, nonce, plaintext.encode("utf-8")), text)
        vectors.append(vector(
            vid, "kek_decrypt",
            {"password": pw, "user_sauce": sauce, "hashing_parameters": params, "nonce": nonce, "text": text},
            {"kek": want_kek, "plaintext": plaintext},
        ))

    # V7: secretbox
    expect_equal("V7", "plaintext", secretbox_open(V7_KEY, V7_NONCE, V7_TEXT), V7_PLAINTEXT.encode("utf-8"))
    expect_equal("V7", "re-seal", secretbox_seal(V7_KEY, V7_NONCE, V7_PLAINTEXT.encode("utf-8")), V7_TEXT)
    vectors.append(vector("V7", "secretbox_open", {"key": V7_KEY, "nonce": V7_NONCE, "text": V7_TEXT}, {"plaintext": V7_PLAINTEXT}))
    vectors.extend(secretbox_negatives("V7", "secretbox_open", V7_KEY, V7_NONCE, V7_TEXT))

    # V8: box
    expect_equal("V8", "sender pk", x25519_public(V8_SENDER_SK), V8_SENDER_PK)
    expect_equal("V8", "recipient pk", x25519_public(V8_RECIPIENT_SK), V8_RECIPIENT_PK)
    expect_equal("V8", "plaintext", box_open(V8_SENDER_PK, V8_RECIPIENT_SK, V8_NONCE, V8_TEXT), V8_PLAINTEXT.encode("utf-8"))
    expect_equal("V8", "re-seal", box_seal(V8_SENDER_SK, V8_RECIPIENT_PK, V8_NONCE, V8_PLAINTEXT.encode("utf-8")), V8_TEXT)
    vectors.append(vector(
        "V8", "box_open",
        {
            "sender_secret_key": V8_SENDER_SK,
            "sender_public_key": V8_SENDER_PK,
            "recipient_secret_key": V8_RECIPIENT_SK,
            "recipient_public_key": V8_RECIPIENT_PK,
            "nonce": V8_NONCE,
            "text": V8_TEXT,
        },
        {"plaintext": V8_PLAINTEXT},
    ))
    for suffix, outcome, recipient_sk, text in (
        ("bad_tag", "bad_tag", V8_RECIPIENT_SK, flip_last_byte(V8_TEXT)),
        ("wrong_key", "wrong_key", WRONG_BOX_SECRET_KEY, V8_TEXT),
        ("truncated", "truncated", V8_RECIPIENT_SK, truncate(V8_TEXT)),
    ):
        vid = "V8-" + suffix
        expect_true(vid, "must not open", box_open(V8_SENDER_PK, recipient_sk, V8_NONCE, text) is None)
        vectors.append(vector(
            vid, "box_open",
            {"sender_public_key": V8_SENDER_PK, "recipient_secret_key": recipient_sk, "nonce": V8_NONCE, "text": text},
            {}, outcome,
        ))

    # V9: Ed25519 verify
    expect_true("V9", "signature must verify", ed25519_verify(V9_VERIFY_KEY, V9_MESSAGE, V9_SIGNATURE))
    vectors.append(vector("V9", "ed25519_verify", {"verify_key": V9_VERIFY_KEY, "message": V9_MESSAGE, "signature": V9_SIGNATURE}, {"valid": True}))
    bad_sig = flip_first_bit(V9_SIGNATURE)
    expect_true("V9-bad_signature", "must not verify", not ed25519_verify(V9_VERIFY_KEY, V9_MESSAGE, bad_sig))
    vectors.append(vector("V9-bad_signature", "ed25519_verify", {"verify_key": V9_VERIFY_KEY, "message": V9_MESSAGE, "signature": bad_sig}, {}, "bad_signature"))

    # V10: one Psono PRIVATE_KEY used as X25519 secret and as Ed25519 seed
    expect_equal("V10", "x25519 public", x25519_public(V10_PRIVATE_KEY), V10_X25519_PUBLIC)
    expect_equal("V10", "verify key", ed25519_verify_key(V10_PRIVATE_KEY), V10_VERIFY_KEY)
    vectors.append(vector(
        "V10", "server_keys_from_psono_private_key",
        {"private_key": V10_PRIVATE_KEY},
        {"x25519_public_key": V10_X25519_PUBLIC, "ed25519_verify_key": V10_VERIFY_KEY},
    ))

    # V11: API key seed ask -> verify_key and X25519 public key
    expect_equal("V11", "verify key", ed25519_verify_key(V11_SEED), V11_VERIFY_KEY)
    expect_equal("V11", "x25519 public", x25519_public(V11_SEED), V11_X25519_PUBLIC)
    vectors.append(vector("V11", "api_key_from_seed", {"seed": V11_SEED}, {"verify_key": V11_VERIFY_KEY, "x25519_public_key": V11_X25519_PUBLIC}))

    # V12: API-key login signature over the exact info string
    expect_equal("V12", "session public key", x25519_public(V12_SESSION_SECRET_KEY), V12_SESSION_PUBLIC_KEY)
    expect_true("V12", "info must contain the session public key", V12_SESSION_PUBLIC_KEY in V12_INFO)
    expect_equal("V12", "signature", ed25519_sign(V11_SEED, V12_INFO), V12_SIGNATURE)
    expect_true("V12", "signature must verify", ed25519_verify(V11_VERIFY_KEY, V12_INFO, V12_SIGNATURE))
    vectors.append(vector(
        "V12", "ed25519_sign",
        {"seed": V11_SEED, "message": V12_INFO, "session_secret_key": V12_SESSION_SECRET_KEY},
        {"signature": V12_SIGNATURE, "verify_key": V11_VERIFY_KEY, "session_public_key": V12_SESSION_PUBLIC_KEY},
    ))

    # V13: server signature (V10 key) over the ASCII string "00ff"
    expect_equal("V13", "signature", ed25519_sign(V10_PRIVATE_KEY, V13_MESSAGE), V13_SIGNATURE)
    vectors.append(vector(
        "V13", "ed25519_sign",
        {"seed": V10_PRIVATE_KEY, "message": V13_MESSAGE},
        {"signature": V13_SIGNATURE, "verify_key": V10_VERIFY_KEY},
    ))

    # V14: transport envelope (secretbox with a fixed nonce)
    expect_equal("V14", "text", secretbox_seal(V14_KEY, V14_NONCE, V14_PLAINTEXT.encode("utf-8")), V14_TEXT)
    expect_equal("V14", "plaintext", secretbox_open(V14_KEY, V14_NONCE, V14_TEXT), V14_PLAINTEXT.encode("utf-8"))
    vectors.append(vector("V14", "transport_envelope", {"key": V14_KEY, "nonce": V14_NONCE, "plaintext": V14_PLAINTEXT}, {"text": V14_TEXT}))
    vectors.extend(secretbox_negatives("V14", "transport_envelope", V14_KEY, V14_NONCE, V14_TEXT))

    # V15: token hash = sha512hex(utf8(token))
    expect_equal("V15", "hash", sha512_hex(V15_TOKEN), V15_HASH)
    vectors.append(vector("V15", "token_hash", {"token": V15_TOKEN}, {"hash": V15_HASH}))

    return vectors


def secretbox_negatives(base_id, kind, key, nonce, text):
    out = []
    for suffix, k, t in (
        ("bad_tag", key, flip_last_byte(text)),
        ("wrong_key", WRONG_SYMMETRIC_KEY, text),
        ("truncated", key, truncate(text)),
    ):
        vid = "%s-%s" % (base_id, suffix)
        expect_true(vid, "must not open", secretbox_open(k, nonce, t) is None)
        out.append(vector(vid, kind, {"key": k, "nonce": nonce, "text": t}, {}, suffix))
    return out


def render(vectors):
    return json.dumps(vectors, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    check = "--check" in argv[1:]
    unknown = [a for a in argv[1:] if a != "--check"]
    if unknown:
        print("usage: generate_vault_vectors.py [--check]", file=sys.stderr)
        return 2
    text = render(build_vectors())
    if MISMATCHES:
        for line in MISMATCHES:
            print("MISMATCH " + line, file=sys.stderr)
        return 1
    if check:
        try:
            with open(OUT_PATH, "r", encoding="utf-8", newline="") as f:
                current = f.read()
        except FileNotFoundError:
            print("missing %s" % OUT_PATH, file=sys.stderr)
            return 1
        if current != text:
            print("%s differs from what the script computes; re-run it without --check" % OUT_PATH, file=sys.stderr)
            return 1
        print("ok: %d vectors match %s" % (len(json.loads(text)), OUT_PATH))
        return 0
    with open(OUT_PATH, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    print("wrote %d vectors to %s" % (len(json.loads(text)), OUT_PATH))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
