"""Print the known-answer vectors used by `payload::tests::known_answer_*`.

They come from minio-py's own `minio.crypto.encrypt` (the reference client) with its
randomness pinned, so the Rust encoder can be compared byte for byte:

* 0x00 (Argon2id + AES-256-GCM) is minio-py's `encrypt` unchanged;
* 0x01 (Argon2id + ChaCha20-Poly1305) swaps minio-py's AEAD for pycryptodome's ChaCha20-Poly1305;
* 0x02 (PBKDF2-HMAC-SHA256, 8192 iterations + AES-256-GCM) swaps the KDF for hashlib's PBKDF2.

minio-py only writes id 0x00; the other two reuse its stream code with one part swapped and the id
byte set afterwards (the id is not authenticated, it only selects the KDF and AEAD).

Run: .venv/bin/python crates/admin/scripts/madmin_kat.py
"""

import hashlib
import os

from Crypto.Cipher import ChaCha20_Poly1305

import minio.crypto as mc

PASSWORD = "kat-Secret/Key+0123456789"
SALT = bytes(range(32))
NONCE = bytes(range(0xF0, 0xF8))
SMALL = b'{"status":"enabled","secretKey":"not-a-real-secret"}'
LARGE = bytes((i * 7 + 3) % 256 for i in range(20000))


def pinned_urandom(n):
    return {8: NONCE, 32: SALT}[n]


def chacha(aead_id, key, nonce):
    return ChaCha20_Poly1305.new(key=key, nonce=nonce)


def pbkdf2(secret, salt):
    return hashlib.pbkdf2_hmac("sha256", secret, salt, 8192, 32)


def encrypt(alg_id, payload):
    orig = (os.urandom, mc._get_cipher, mc._generate_key)
    mc.os.urandom = pinned_urandom
    if alg_id == 1:
        mc._get_cipher = chacha
    if alg_id == 2:
        mc._generate_key = pbkdf2
    try:
        out = bytearray(mc.encrypt(payload, PASSWORD))
    finally:
        mc.os.urandom, mc._get_cipher, mc._generate_key = orig
    out[32] = alg_id
    return bytes(out)


for alg_id in (0, 1, 2):
    print(f"id {alg_id} small: {encrypt(alg_id, SMALL).hex()}")
    print(f"id {alg_id} large sha256: {hashlib.sha256(encrypt(alg_id, LARGE)).hexdigest()}")
