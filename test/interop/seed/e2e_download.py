import base64
import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives import hashes
# Configuration
PASSPHRASE = "my-secret-passphrase"
FILE_ID = "your-file-uuid-here"
DOMAIN = "https://dev.one.gy"
OUTPUT_FILE = "decrypted-document.pdf"
# Download encrypted data
response = requests.get(
    f"{DOMAIN}/f/{FILE_ID}/encrypted",
    verify=False,
)
# Extract salt and IV from response headers (comma-separated decimal byte values)
salt = bytes([int(x) for x in response.headers["X-E2E-Salt"].split(",")])
iv = bytes([int(x) for x in response.headers["X-E2E-IV"].split(",")])
ciphertext = response.content
# Derive the same key from the passphrase
kdf = PBKDF2HMAC(
    algorithm=hashes.SHA256(),
    length=32,
    salt=salt,
    iterations=100000,
)
key = kdf.derive(PASSPHRASE.encode("utf-8"))
# Decrypt with AES-256-GCM
aesgcm = AESGCM(key)
plaintext = aesgcm.decrypt(iv, ciphertext, None)
with open(OUTPUT_FILE, "wb") as f:
    f.write(plaintext)
print(f"Decrypted file saved to {OUTPUT_FILE}")
