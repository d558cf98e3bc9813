"""Password hashes: argon2id (argon2-cffi), kept in `account_credentials`, bound to the log by fingerprint."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Column, Float, Integer, String, Table, Text, insert, select

from dispatch.errors import Refused
from dispatch.store import metadata

credentials_table = Table(
    "account_credentials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),  # the account
    Column("hash", Text, nullable=False),  # argon2id, salted; never copied into an event
    Column("created", Float, nullable=False),
)

MIN_PASSWORD = 8
_hasher = PasswordHasher()  # argon2id with the library's current recommended costs


def check_password(password: Any) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise Refused(f"a password has at least {MIN_PASSWORD} characters", "weak_password")
    if password.strip() != password or "\n" in password:
        raise Refused("a password neither starts nor ends with a space and has no line break", "bad_password")
    return password


def fingerprint(hashed: str) -> str:
    return hashlib.sha256(hashed.encode("utf-8")).hexdigest()


def store_credential(store: Any, name: str, password: str) -> tuple[int, str]:
    """Hash `password` and keep it; returns (row id, fingerprint) for the event that makes it current."""
    hashed = _hasher.hash(check_password(password))
    with store.write() as conn:
        row = conn.execute(insert(credentials_table).values(name=name, hash=hashed, created=time.time()))
        cid = int(row.inserted_primary_key[0])
    return cid, fingerprint(hashed)


def verify(store: Any, name: str, credential: int | None, expected_fingerprint: str, password: str) -> bool:
    """True if `password` is the account's current one (and its row is the one the log names)."""
    if credential is None or not isinstance(password, str):
        return False
    with store.read() as conn:
        row = conn.execute(select(credentials_table.c.name, credentials_table.c.hash)
                           .where(credentials_table.c.id == credential)).first()
    if row is None or row.name != name or fingerprint(row.hash) != expected_fingerprint:
        return False  # missing or altered behind the log's back
    try:
        return bool(_hasher.verify(row.hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
