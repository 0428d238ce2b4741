"""The private code on a donor's receipt, and what the public ledger shows of it.

The code is random (16 characters from an alphabet without look-alikes: about 79 bits), so no
one can guess a gift's code. The public ledger shows SHA-256 over the gift's public id and the
code: a donor who holds the code can find their own gift in the ledger, even offline, while the
hash says nothing that links the entry to a person. The lookup for the "find my gift" form is a
keyed blind index, so a stolen database does not let anyone test codes either.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from ngo.crypto import blind_index

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 16
_LOOKUP_PURPOSE = "receipt-code"
_NOT_CODE = re.compile(r"[^0-9A-Z]")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def normalise(text: str) -> str:
    """What the donor typed, as the code was issued: case, spaces and dashes do not matter."""
    return _NOT_CODE.sub("", text.upper())


def looks_like_a_code(text: str) -> bool:
    code = normalise(text)
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def public_hash(public_id: str, code: str) -> str:
    return hashlib.sha256(f"ngo-gift:{public_id}:{normalise(code)}".encode()).hexdigest()


def lookup_key(code: str) -> str:
    return blind_index(_LOOKUP_PURPOSE, normalise(code))
