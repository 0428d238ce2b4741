"""Keyed hash chains and signed checkpoints, for every append-only log (the audit log now, the
donations ledger next). Plain functions and values: no database, no Flask.

An entry's hash is HMAC-SHA256, under a key kept outside the database, over the entry's fields
and the previous entry's hash. Someone who can write to the database but does not hold the key
cannot recompute the hashes after changing or deleting an entry. Keyed hashes alone cannot show
that the newest entries were cut off, so the head of the chain (its seq and hash) is signed from
time to time with Ed25519 into a checkpoint. A checkpoint is stored with the log and printed for
the operator to keep elsewhere; both are checked against the chain.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS_HASH = "0" * 64
CHECKPOINT_FORMAT = "ngo-checkpoint/1"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class ChainKeyError(ValueError):
    """A configured chain key cannot be used; the message names the setting, never the value."""


class CheckpointFormatError(ValueError):
    """A checkpoint given by an operator is not one this module wrote."""


# Keys --------------------------------------------------------------------------------------


def hmac_key(setting: str) -> bytes:
    return setting.encode("utf-8")


def _b64decode(text: str) -> bytes:
    # Standard or URL-safe alphabet, padded or not: operators paste keys from many tools.
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    return base64.b64decode(cleaned, validate=True)


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def load_signing_key(value: str, setting: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PKCS#8 PEM block or the base64 of its 32 raw bytes.

    Any 32 random bytes are a valid Ed25519 private key, so `secrets.token_urlsafe(32)` makes one.
    """
    text = value.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError) as exc:
            raise ChainKeyError(
                f"{setting} is not a readable unencrypted PEM private key."
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ChainKeyError(f"{setting} holds a PEM key that is not an Ed25519 key.")
        return key
    try:
        raw = _b64decode(text)
    except (binascii.Error, ValueError) as exc:
        raise ChainKeyError(
            f"{setting} must be an Ed25519 private key: base64 of 32 bytes or a PEM block."
        ) from exc
    if len(raw) != 32:
        raise ChainKeyError(
            f"{setting} must be an Ed25519 private key: base64 of 32 bytes, not {len(raw)} bytes."
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return _b64encode(
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def load_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = _b64decode(text)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointFormatError("the public key is not base64 of 32 bytes") from exc


# Entries -----------------------------------------------------------------------------------


def entry_hash(key: bytes, fields: Sequence[object], prev_hash: str) -> str:
    """HMAC-SHA256 over the canonical JSON of the fields followed by the previous hash."""
    canonical = json.dumps(
        [*fields, prev_hash], sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()


class Entry(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


# The log's own entry type, so that `expected_hash` may use what that type has beyond Entry.
E = TypeVar("E", bound=Entry)


@dataclass(frozen=True)
class ChainReport:
    """What a check found. `broken_at_seq` is the first entry that cannot be trusted."""

    entries_checked: int
    head_seq: int
    head_hash: str
    checkpoints_checked: int = 0
    broken_at_seq: int | None = None
    problem: str | None = None
    # "deleted", "altered", "truncated", "checkpoint_forged", "rewritten", or "foreign" for a
    # checkpoint given from outside that belongs to another log or key
    kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def events_checked(self) -> int:  # the audit log's word for its entries
        return self.entries_checked


def walk(
    entries: Iterable[E],
    expected_hash: Callable[[E], str],
    *,
    start_seq: int = 1,
    start_hash: str = GENESIS_HASH,
    remember: frozenset[int] = frozenset(),
) -> tuple[ChainReport, dict[int, str]]:
    """Follow the chain from (start_seq, start_hash); stop at the first entry that does not
    follow from its predecessor. Also returns the hashes at the seqs in `remember`."""
    expected_prev, expected_seq, count = start_hash, start_seq, 0
    seen: dict[int, str] = {}

    def broken(seq: int, kind: str, problem: str) -> tuple[ChainReport, dict[int, str]]:
        head = ChainReport(count, expected_seq - 1, expected_prev)
        return replace(head, broken_at_seq=seq, problem=problem, kind=kind), seen

    for entry in entries:
        if entry.seq != expected_seq:
            return broken(
                expected_seq,
                "deleted",
                f"entry {expected_seq} is missing (next present is {entry.seq}): a row was deleted",
            )
        if entry.prev_hash != expected_prev:
            return broken(
                entry.seq,
                "altered",
                f"entry {entry.seq} does not link to entry {entry.seq - 1}: "
                "the earlier row was altered or deleted",
            )
        if not hmac.compare_digest(expected_hash(entry), entry.hash):
            return broken(
                entry.seq,
                "altered",
                f"entry {entry.seq} was altered after it was written "
                "(its keyed hash does not match)",
            )
        if entry.seq in remember:
            seen[entry.seq] = entry.hash
        expected_prev, expected_seq, count = entry.hash, expected_seq + 1, count + 1
    return ChainReport(count, expected_seq - 1, expected_prev), seen


# Checkpoints -------------------------------------------------------------------------------


def _format_time(moment: datetime) -> str:
    return moment.strftime(_TIME_FORMAT)


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement "at `created_at` the chain `chain` ended at `seq` with `head_hash`"."""

    chain: str
    seq: int
    head_hash: str
    created_at: datetime  # naive UTC, as the database stores it
    signature: str = ""
    public_key: str = ""
    number: int | None = None  # the row id where it is stored; not signed

    def message(self) -> bytes:
        # The chain's name is signed too, so a ledger checkpoint never passes for an audit one.
        return "\n".join(
            [CHECKPOINT_FORMAT, self.chain, str(self.seq), self.head_hash, self.time_text]
        ).encode("ascii")

    @property
    def time_text(self) -> str:
        return _format_time(self.created_at)

    def signed(self, key: Ed25519PrivateKey) -> Checkpoint:
        return replace(
            self,
            signature=_b64encode(key.sign(self.message())),
            public_key=public_key_text(key),
        )

    def signature_valid(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(_b64decode(self.signature), self.message())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def label(self) -> str:
        name = f"checkpoint #{self.number}" if self.number is not None else "the given checkpoint"
        return f"{name} of {self.time_text}"

    def to_line(self) -> str:
        """One line to copy somewhere else; `from_line` reads it back."""
        return " ".join(
            [
                CHECKPOINT_FORMAT,
                self.chain,
                str(self.seq),
                self.head_hash,
                self.time_text,
                self.signature,
                self.public_key,
            ]
        )

    @classmethod
    def from_line(cls, text: str) -> Checkpoint:
        """The checkpoint line in `text` (the line itself, or a file holding it)."""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        found = [line for line in lines if line.startswith(CHECKPOINT_FORMAT + " ")]
        if not found:
            raise CheckpointFormatError(f"no line starting with {CHECKPOINT_FORMAT!r}")
        parts = found[-1].split()
        if len(parts) != 7:
            raise CheckpointFormatError("a checkpoint line has 7 fields separated by spaces")
        _, chain_name, seq, head_hash, moment, signature, public_key = parts
        if not seq.isdigit():
            raise CheckpointFormatError("the seq field is not a number")
        if len(head_hash) != 64 or any(c not in "0123456789abcdef" for c in head_hash):
            raise CheckpointFormatError("the head hash is not 64 hexadecimal digits")
        try:
            created_at = datetime.strptime(moment, _TIME_FORMAT)
        except ValueError as exc:
            raise CheckpointFormatError("the time field is not a UTC time") from exc
        load_public_key(public_key)
        return cls(chain_name, int(seq), head_hash, created_at, signature, public_key)


def check_checkpoints(
    checkpoints: Sequence[Checkpoint],
    *,
    public_key: Ed25519PublicKey,
    head_seq: int,
    hash_at: dict[int, str],
) -> tuple[int, str, str] | None:
    """(first bad seq, kind, problem) for the first checkpoint, in the order written, that is
    forged, went backwards, vouches for entries no longer there, or for other content."""
    previous: Checkpoint | None = None
    for checkpoint in checkpoints:
        if not checkpoint.signature_valid(public_key):
            return (
                checkpoint.seq,
                "checkpoint_forged",
                f"{checkpoint.label()} has no valid signature of this deployment's key: "
                "it was forged or altered",
            )
        if previous is not None and checkpoint.seq < previous.seq:
            return (
                checkpoint.seq + 1,
                "truncated",
                f"the head moved backwards: {previous.label()} vouched for entry "
                f"{previous.seq}, the later {checkpoint.label()} only for entry {checkpoint.seq}: "
                "entries were deleted",
            )
        if checkpoint.seq > head_seq:
            return (
                head_seq + 1,
                "truncated",
                f"entries {head_seq + 1} to {checkpoint.seq} are missing: the log ends at entry "
                f"{head_seq} but {checkpoint.label()} vouched for entry {checkpoint.seq}",
            )
        actual = GENESIS_HASH if checkpoint.seq == 0 else hash_at.get(checkpoint.seq)
        if actual is None or not hmac.compare_digest(actual, checkpoint.head_hash):
            return (
                checkpoint.seq,
                "rewritten",
                f"entry {checkpoint.seq} differs from what {checkpoint.label()} signed: "
                "the log was rewritten up to there",
            )
        previous = checkpoint
    return None
