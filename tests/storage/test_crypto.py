"""Encryption at rest: AES-GCM values carry no time, older Fernet values are read and resealed."""

from __future__ import annotations

import base64
import time

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlmodel import select

from bot.app import LearnPulse
from storage.crypto import SEALED_PREFIX, Vault
from storage.reseal import reseal_legacy
from storage.tables import Answer
from tests.bot.test_report_support import answers

KEY = "respect-treated-with-respect"


def test_sealed_values_carry_no_time_and_differ_each_time() -> None:
    vault = Vault("x" * 40)
    first, second = vault.encrypt("same words"), vault.encrypt("same words")
    assert first != second and first.startswith(SEALED_PREFIX)
    assert vault.decrypt(first) == vault.decrypt(second) == "same words"
    raw = base64.urlsafe_b64decode(first[len(SEALED_PREFIX) :])
    assert len(raw) == 12 + len("same words") + 16  # nonce, ciphertext, tag: nothing else
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Vault("y" * 40).decrypt(first)
    tampered = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    with pytest.raises(ValueError, match="cannot be decrypted"):
        vault.decrypt(tampered)


def _fernet_of(vault: Vault) -> Fernet:
    return vault._fernet  # the key older values were sealed with


def test_older_fernet_values_are_resealed_without_their_time(
    core: LearnPulse, engine: Engine
) -> None:
    legacy = _fernet_of(core.vault).encrypt_at_time(b"an old comment", int(time.time()) - 86400)
    answers(core, "respect", KEY, core.clock.now().date(), ["4"], comments=["placeholder"])
    with core.session() as session:
        row = session.exec(select(Answer)).one()
        row.comment = legacy.decode("ascii")
        session.add(row)
    assert core.vault.decrypt(legacy.decode("ascii")) == "an old comment"  # still readable
    assert reseal_legacy(engine, core.vault) == 1
    with core.session() as session:
        stored = session.exec(select(Answer)).one().comment
    assert stored is not None and stored.startswith(SEALED_PREFIX)
    assert core.vault.decrypt(stored) == "an old comment"
    assert reseal_legacy(engine, core.vault) == 0  # nothing left
