"""Keys derived from ``LEARNPULSE_SECRET_KEY``: respondent pseudonyms and encryption at rest.

Encryption is AES-256-GCM with a random 96-bit nonce: a sealed value carries no time (Fernet,
used before, writes the second it encrypted into every token, which would date an anonymous
comment to the second of its click). Sealed values start with ``SEALED_PREFIX``; values Fernet
sealed earlier are still read, and ``storage.reseal`` rewrites them on start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED_PREFIX = "g1:"
NONCE_BYTES = 12
CANNOT_DECRYPT = "stored value cannot be decrypted with LEARNPULSE_SECRET_KEY"


class Vault:
    """Derives separate keys for pseudonyms and for encryption from one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("LEARNPULSE_SECRET_KEY must not be empty")
        root = secret.encode("utf-8")
        self._pseudonym_key = hmac.new(root, b"learnpulse/respondent", hashlib.sha256).digest()
        sealing_key = hmac.new(root, b"learnpulse/encryption", hashlib.sha256).digest()
        self._digest_key = hmac.new(root, b"learnpulse/digest", hashlib.sha256).digest()
        self._aead = AESGCM(sealing_key)
        self._fernet = Fernet(base64.urlsafe_b64encode(sealing_key))  # reads older values only
        # kept in the database (storage/keycheck.py) to tell this key from another one
        self.check_value = hmac.new(root, b"learnpulse/key-check", hashlib.sha256).hexdigest()

    def respondent_key(self, person_ref: str) -> str:
        """A stable pseudonym for a person: the same person always maps to the same key."""
        digest = hmac.new(self._pseudonym_key, person_ref.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:32]

    def digest(self, kind: str, text: str) -> str:
        """A keyed hash of ``text`` as a ``kind`` (an attribute, a theme): equal texts give
        equal digests, so an encrypted value can be unique and grouped without decrypting it;
        without the key, the digest of a guessed value cannot be computed."""
        message = f"{kind}\x00{text}".encode()
        return hmac.new(self._digest_key, message, hashlib.sha256).hexdigest()[:32]

    def encrypt(self, plaintext: str) -> str:
        """Seal ``plaintext`` (authenticated, no timestamp; a new nonce each time)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Open a sealed value; one written under another key raises ``ValueError``."""
        if not token.startswith(SEALED_PREFIX):
            return self._open_legacy(token)
        try:
            raw = base64.urlsafe_b64decode(token[len(SEALED_PREFIX) :].encode("ascii"))
            opened = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
        except (InvalidTag, ValueError):
            raise ValueError(CANNOT_DECRYPT) from None
        return opened.decode("utf-8")

    def is_legacy(self, token: str) -> bool:
        """A value sealed before AES-GCM (a Fernet token, which carries its time)."""
        return not token.startswith(SEALED_PREFIX)

    def _open_legacy(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise ValueError(CANNOT_DECRYPT) from None
