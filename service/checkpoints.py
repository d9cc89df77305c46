"""Signed checkpoints of the audit trail: the hash chain's head (position, hash, time) signed with
the service's Ed25519 key, stored append-only beside the chain, and kept by auditors as JSON.

A checkpoint's signature covers one line of ASCII text:

    polarity-checkpoint/1 <position> <hash, 64 lowercase hex digits> <time, as in the JSON>

so an auditor verifies one with the `cryptography` package and the public key the service
publishes at `GET /audit/public-key` (README, "Audit trail", has the few lines of Python).
The key comes from POLARITY_AUDIT_KEY (base64 of the 32-byte private key, or PEM) or the file
POLARITY_AUDIT_KEY_FILE names; production refuses to start without one; development makes one
beside the data directory and keeps it there."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from psycopg import AsyncConnection
from psycopg.sql import SQL, Composed, Identifier, Literal

from service.settings import Settings, SettingsError

FORMAT = "polarity-checkpoint/1"
DEVELOPMENT_KEY_FILE = "polarity-audit-key.pem"  # beside the embedded server's data directory


def timestamp(moment: datetime) -> str:
    """The one way a checkpoint's time is written, signed and read back: UTC, microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def signed_text(position: int, digest: bytes, at: str) -> bytes:
    return f"{FORMAT} {position} {digest.hex()} {at}".encode("ascii")


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of SHA-256 over the raw public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at `position` was `hash`, as signed at `signed_at` by key `key_id`."""

    position: int
    hash: bytes
    signed_at: datetime
    key_id: str
    signature: bytes

    @property
    def text(self) -> bytes:
        return signed_text(self.position, self.hash, timestamp(self.signed_at))

    def signed_by(self, public: Ed25519PublicKey) -> bool:
        if self.key_id != key_id(public):
            return False
        try:
            public.verify(self.signature, self.text)
        except InvalidSignature:
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        """What an auditor keeps."""
        return {
            "format": FORMAT,
            "position": self.position,
            "hash": self.hash.hex(),
            "time": timestamp(self.signed_at),
            "keyId": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_json(cls, kept: Any) -> Checkpoint:
        """A kept checkpoint; ValueError says what is wrong with one that cannot be read."""
        if not isinstance(kept, dict) or kept.get("format") != FORMAT:
            raise ValueError(f"not a checkpoint: expected a JSON object with format {FORMAT!r}")
        try:
            return cls(
                position=int(kept["position"]),
                hash=bytes.fromhex(kept["hash"]),
                signed_at=datetime.fromisoformat(kept["time"]),
                key_id=str(kept["keyId"]),
                signature=base64.b64decode(kept["signature"], validate=True),
            )
        except (KeyError, TypeError, ValueError, binascii.Error) as error:
            raise ValueError(f"not a checkpoint: {error!r}") from None

    @classmethod
    def from_row(cls, row: Any) -> Checkpoint:
        """From a row of the checkpoints table, as a tuple or a dict."""
        values = row.values() if isinstance(row, dict) else row
        position, digest, signed_at, signer, signature = values
        return cls(position, bytes(digest), signed_at, signer, bytes(signature))


@dataclass(frozen=True)
class Signer:
    """The service's signing key."""

    private: Ed25519PrivateKey

    @cached_property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @cached_property
    def key_id(self) -> str:
        return key_id(self.public)

    def sign(self, position: int, digest: bytes, at: datetime | None = None) -> Checkpoint:
        signed_at = datetime.fromisoformat(timestamp(at or datetime.now(UTC)))
        text = signed_text(position, digest, timestamp(signed_at))
        return Checkpoint(position, digest, signed_at, self.key_id, self.private.sign(text))

    def public_pem(self) -> str:
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")


def load_signer(settings: Settings) -> Signer:
    """The key the settings name; in development without one, the one kept (or made) beside
    the data directory."""
    if settings.audit_key:
        return Signer(private_key(settings.audit_key.encode(), "POLARITY_AUDIT_KEY"))
    if settings.audit_key_file:
        try:
            data = settings.audit_key_file.read_bytes()
        except OSError as error:
            raise SettingsError(f"POLARITY_AUDIT_KEY_FILE cannot be read: {error}") from None
        return Signer(private_key(data, "POLARITY_AUDIT_KEY_FILE"))
    if settings.is_production:
        raise SettingsError(settings.missing_audit_key)
    return Signer(_development_key(settings.data_dir.expanduser().resolve().parent))


def configured_public_key(settings: Settings) -> Ed25519PublicKey | None:
    """The public half of the key the settings name, or of the development key if one was made;
    None if there is neither (nothing is made here)."""
    kept = settings.data_dir.expanduser().resolve().parent / DEVELOPMENT_KEY_FILE
    if settings.audit_key or settings.audit_key_file or kept.exists():
        return load_signer(settings).public
    return None


def public_key(data: bytes, source: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM, as `GET /audit/public-key` gives it."""
    try:
        key = serialization.load_pem_public_key(data.strip())
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{source} is not an Ed25519 public key in PEM")
    return key


def private_key(data: bytes, source: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8) or base64 of its 32 raw bytes."""
    data = data.strip()
    try:
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(data, validate=True))
    except (ValueError, TypeError, binascii.Error):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise SettingsError(
            f"{source} is not an Ed25519 private key: give PEM (PKCS#8) or base64 of its 32 "
            "raw bytes"
        )
    return key


def _development_key(folder: Path) -> Ed25519PrivateKey:
    path = folder / DEVELOPMENT_KEY_FILE
    folder.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:  # exclusive: two processes starting at once keep the same key
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return private_key(path.read_bytes(), str(path))
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return private_key(pem, str(path))


class CheckpointTable:
    """The SQL of the checkpoints table beside an events table. Rows are only ever inserted."""

    def __init__(self, schema: str, events_table: str) -> None:
        self.table = Identifier(schema, events_table + "_checkpoints")
        about = (
            "Signed checkpoints of the audit trail's hash chain (service/checkpoints.py says "
            "what is signed). Rows are only ever inserted."
        )
        self.create_statements: list[Composed] = [
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (id bigserial PRIMARY KEY, "
                "position bigint NOT NULL, hash bytea NOT NULL, signed_at timestamptz NOT NULL, "
                "key_id text NOT NULL, signature bytea NOT NULL)"
            ).format(self.table),
            SQL("COMMENT ON TABLE {} IS {}").format(self.table, Literal(about)),
        ]
        columns = SQL("position, hash, signed_at, key_id, signature")
        self.insert = SQL("INSERT INTO {} ({}) VALUES (%s, %s, %s, %s, %s)").format(
            self.table, columns
        )
        self.select_all = SQL("SELECT {} FROM {} ORDER BY id").format(columns, self.table)
        self.select_last = SQL("SELECT {} FROM {} ORDER BY id DESC LIMIT 1").format(
            columns, self.table
        )

    def values(self, checkpoint: Checkpoint) -> tuple[Any, ...]:
        return (
            checkpoint.position,
            checkpoint.hash,
            checkpoint.signed_at,
            checkpoint.key_id,
            checkpoint.signature,
        )


async def read_checkpoints(conn: AsyncConnection[Any], table: CheckpointTable) -> list[Checkpoint]:
    """Every stored checkpoint, oldest first."""
    cursor = await conn.execute(table.select_all)
    return [Checkpoint.from_row(row) for row in await cursor.fetchall()]
