"""The MIME structure of `ngo.mail.compose`'s messages, written as header text.

What `EmailMessage.set_content`, `add_alternative` and `add_attachment` make (a text part, an
HTML alternative, files after them, each multipart part with its boundary), built the way the
parser leaves a message it has read: each header a line of text, each payload its encoded
text. The email package's own way parses every Content-* header as it is set, again as a
parameter is added (charset, filename, boundary) and as it is moved into a part, then walks
each parse tree to fold it when the message is flattened: most of the 3.5 ms a receipt's mail
took to compose and flatten. A header line written here is one the package would write alike
(plain ASCII that fits on its line); anything else (a file name to encode per RFC 2231, an
unusual MIME type, a header value with control characters) is left to the package, and so are
the addresses. A header read back (`message["Content-Type"]`) is parsed then, as in a parsed
message; the Content-* ones and the sender are parsed once a process (`SharedHeaders`).

Non-ASCII subjects become RFC 2047 encoded words (base64 of UTF-8, each one whole characters,
at most 75 long), which read back as the subject given.
"""

from __future__ import annotations

import binascii
import re
import secrets
from collections.abc import Sequence
from email import quoprimime
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import Policy
from functools import lru_cache
from typing import Protocol

__all__ = ["AttachmentLike", "SharedHeaders", "fill_body", "set_plain", "set_subject"]

# RFC 2045's token: what a MIME type's halves may be written as without quoting.
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
# A file name written as it is (quoted, as the package writes every one).
_PLAIN_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()+,-]*")
# RFC 2047: an encoded word is at most 75 characters; "=?utf-8?b?" and "?=" are 12 of them.
_EW_MAX = 75
_EW_CHROME = len("=?utf-8?b??=")
# Headers whose values repeat from one message to the next (the MIME structure, the sender):
# parsed once and shared, as header objects are immutable. Addresses of recipients and
# subjects are not kept.
_SHARED_NAMES = frozenset(
    {
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        "content-language",
        "mime-version",
        "from",
    }
)


class AttachmentLike(Protocol):
    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def data(self) -> bytes: ...


class SharedHeaders(HeaderRegistry):
    """The default policy's header factory, but each header class made once (`HeaderRegistry`
    makes a new class with `type()` every time a header is set, parsed or copied), and the
    headers of `_SHARED_NAMES` parsed once for each value (a small LRU: boundaries and file
    names differ from one mail to the next, the rest does not)."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}
        self._shared = lru_cache(maxsize=256)(self._make)

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made

    def _make(self, name: str, value: str) -> BaseHeader:
        return self[name](name, value)

    def __call__(self, name: str, value: str) -> BaseHeader:
        if name.lower() in _SHARED_NAMES:
            return self._shared(name, value)
        return self._make(name, value)


def _max_line(policy: Policy) -> int:
    return policy.max_line_length or 998


def _plain(name: str, value: str, policy: Policy) -> bool:
    """Would the package write `name: value` on one line as it is? (ASCII, printable, no
    encoded word to decode first, short enough not to fold.)"""
    return (
        bool(value)
        and value.isascii()
        and value.isprintable()
        and "=?" not in value
        and len(name) + 2 + len(value) <= _max_line(policy)
    )


def set_plain(message: EmailMessage, name: str, value: str) -> None:
    """Set an unstructured or simple header (Date, Message-ID, List-Unsubscribe, ...): as
    text when the package would write it so, else through the package."""
    if _plain(name, value, message.policy):
        message.set_raw(name, value)
    else:
        message[name] = value


def set_subject(message: EmailMessage, subject: str) -> None:
    """The Subject: as it is if plain ASCII that fits on its line, as encoded words if
    printable text in other scripts (the package's folding of those is its slowest header),
    else by the package (which folds long ASCII at its spaces and refuses line breaks)."""
    if _plain("Subject", subject, message.policy):
        message.set_raw("Subject", subject)
    elif not subject.isascii() and subject.isprintable() and not _has_surrogates(subject):
        room = _max_line(message.policy) - len("Subject: ")
        message.set_raw("Subject", "\n ".join(_encoded_words(subject, room)))
    else:
        message["Subject"] = subject


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _b64_length(size: int) -> int:
    return (size + 2) // 3 * 4


def _encoded_words(text: str, first_room: int) -> list[str]:
    """Base64 encoded words of the UTF-8 text, a character never split between two (RFC
    2047, 5), the first fitting `first_room`, every one at most 75 characters."""
    words: list[str] = []
    chunk = b""
    room = min(_EW_MAX, first_room)
    for char in text:
        encoded = char.encode("utf-8")
        if chunk and _EW_CHROME + _b64_length(len(chunk) + len(encoded)) > room:
            words.append(_encoded_word(chunk))
            chunk, room = b"", _EW_MAX
        chunk += encoded
    words.append(_encoded_word(chunk))
    return words


def _encoded_word(data: bytes) -> str:
    return f"=?utf-8?b?{binascii.b2a_base64(data, newline=False).decode('ascii')}?="


def _base64_lines(data: bytes, max_line_length: int) -> str:
    """What the package's content manager makes of bytes: base64 in lines of
    `max_line_length // 4 * 4` characters, each ending in a newline."""
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    width = max_line_length // 4 * 4
    if not encoded:
        return ""
    return "\n".join([encoded[i : i + width] for i in range(0, len(encoded), width)]) + "\n"


def _encoded_text(text: str, policy: Policy) -> tuple[str, str]:
    """The Content-Transfer-Encoding and payload the package's content manager chooses for
    UTF-8 text (email.contentmanager: 7bit or 8bit if no line is too long, else the shorter
    of quoted-printable and base64 for the first ten lines)."""
    max_line = _max_line(policy)
    lines = text.encode("utf-8").splitlines()
    normal = b"\n".join(lines) + b"\n"
    if max(map(len, lines), default=0) <= max_line:
        if normal.isascii():
            return "7bit", normal.decode("ascii")
        if policy.cte_type == "8bit":
            # As the package keeps 8-bit text: the bytes as surrogates, written back as bytes.
            return "8bit", normal.decode("ascii", "surrogateescape")
    linesep = policy.linesep.encode("ascii")
    sniff = linesep.join(lines[:10]) + linesep
    sniff_qp = quoprimime.body_encode(sniff.decode("latin-1"), max_line)
    if len(sniff_qp) > len(binascii.b2a_base64(sniff)):
        return "base64", _base64_lines(linesep.join(lines) + linesep, max_line)
    if len(lines) <= 10:
        return "quoted-printable", sniff_qp
    return "quoted-printable", quoprimime.body_encode(normal.decode("latin-1"), max_line)


def _text_part(part: EmailMessage, text: str, subtype: str) -> EmailMessage:
    cte, payload = _encoded_text(text, part.policy)
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.set_raw("Content-Transfer-Encoding", cte)
    part.set_payload(payload)
    return part


def _attachment_part(policy: Policy, attachment: AttachmentLike) -> EmailMessage:
    part = EmailMessage(policy=policy)
    maintype, _slash, subtype = attachment.content_type.partition("/")
    disposition = f'attachment; filename="{attachment.filename}"'
    if not (
        _TOKEN.fullmatch(maintype)
        and _TOKEN.fullmatch(subtype)
        and _PLAIN_FILENAME.fullmatch(attachment.filename)
        and _plain("Content-Disposition", disposition, policy)
    ):
        # The package's own (RFC 2231 for a name in another script, folding a long one).
        part.set_content(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
        return part
    part.set_raw("Content-Type", f"{maintype}/{subtype}")
    part.set_raw("Content-Transfer-Encoding", "base64")
    part.set_raw("Content-Disposition", disposition)
    part.set_payload(_base64_lines(attachment.data, _max_line(policy)))
    return part


def _multipart(part: EmailMessage, subtype: str, parts: Sequence[EmailMessage]) -> EmailMessage:
    """A multipart part with a random boundary: 128 bits behind "=_" (which base64 and
    quoted-printable never write), which no text can hold by chance, so that the generator
    need not search the parts for it."""
    value = f'multipart/{subtype}; boundary="=_{secrets.token_hex(16)}"'
    if len("Content-Type: ") + len(value) > _max_line(part.policy):
        value = value.replace("; ", ";\n ", 1)  # folded where the package folds it
    part.set_raw("Content-Type", value)
    for sub in parts:
        part.attach(sub)
    return part


def fill_body(
    message: EmailMessage,
    text: str,
    html: str | None,
    attachments: Sequence[AttachmentLike],
) -> None:
    """The message's Content-* headers and payload: text/plain alone; multipart/alternative
    with the HTML; multipart/mixed with files after the text (or after the alternative)."""
    policy = message.policy
    if html is None and not attachments:
        _text_part(message, text, "plain")
        return
    body = _text_part(EmailMessage(policy=policy), text, "plain")
    if html is not None:
        html_part = _text_part(EmailMessage(policy=policy), html, "html")
        if not attachments:
            _multipart(message, "alternative", [body, html_part])
            return
        body = _multipart(EmailMessage(policy=policy), "alternative", [body, html_part])
    files = [_attachment_part(policy, attachment) for attachment in attachments]
    _multipart(message, "mixed", [body, *files])
