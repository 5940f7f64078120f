import os
import base64
import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives import hashes
# Configuration
PASSPHRASE = "my-secret-passphrase"
FILE_PATH = "secret-document.pdf"
DOMAIN = "https://dev.one.gy"
# Generate random salt and IV
salt = os.urandom(16)
iv = os.urandom(12)
# Derive key from passphrase using PBKDF2
kdf = PBKDF2HMAC(
    algorithm=hashes.SHA256(),
    length=32,
    salt=salt,
    iterations=100000,
)
key = kdf.derive(PASSPHRASE.encode("utf-8"))
# Encrypt file with AES-256-GCM
with open(FILE_PATH, "rb") as f:
    plaintext = f.read()
aesgcm = AESGCM(key)
ciphertext = aesgcm.encrypt(iv, plaintext, None)
# Upload encrypted data with salt and IV
response = requests.post(
    f"{DOMAIN}/upload",
    files={"file": ("secret-document.pdf", ciphertext)},
    data={
        "e2e": "true",
        "e2e_salt": base64.b64encode(salt).decode(),
        "e2e_iv": base64.b64encode(iv).decode(),
    },
    verify=False,
)
result = response.json()
print(f"Download: {result['download_url']}")
print(f"Manage: {DOMAIN}{result['redirect']}")
