"""Keys derived from ``LEARNPULSE_SECRET_KEY``: respondent pseudonyms and encryption at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class Vault:
    """Derives separate keys for pseudonyms and for encryption from one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("LEARNPULSE_SECRET_KEY must not be empty")
        root = secret.encode("utf-8")
        self._pseudonym_key = hmac.new(root, b"learnpulse/respondent", hashlib.sha256).digest()
        fernet_key = hmac.new(root, b"learnpulse/encryption", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(fernet_key))
        # kept in the database (storage/keycheck.py) to tell this key from another one
        self.check_value = hmac.new(root, b"learnpulse/key-check", hashlib.sha256).hexdigest()

    def respondent_key(self, person_ref: str) -> str:
        """A stable pseudonym for a person: the same person always maps to the same key."""
        digest = hmac.new(self._pseudonym_key, person_ref.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:32]

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt; a value written under another key raises ``ValueError``."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ValueError(
                "stored value cannot be decrypted with LEARNPULSE_SECRET_KEY"
            ) from None
