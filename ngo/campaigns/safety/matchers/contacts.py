"""E-mail addresses and messenger handles, also written the way people hide them from robots."""

from __future__ import annotations

import re

from ngo.campaigns.safety import lookalikes
from ngo.campaigns.safety.matchers.patterns import RegexMatcher
from ngo.campaigns.safety.matchers.phones import phone_matcher
from ngo.campaigns.safety.values import MESSENGER

# "at" and "dot" in the languages of our pages, in Latin and Cyrillic spellings.
_AT_WORDS = r"at|собака|sobaka|małpa|malpa|малпа|мавпа|mavpa|ат"
_DOT_WORDS = r"dot|точка|tochka|kropka|кропка|kropka|punkt|крапка|krapka"
_OPEN = r"[(\[{<]"
_CLOSE = r"[)\]}>]"
# Markup left in the source may sit anywhere around the word: "(dot**)**".
_MARK = r"[\s*_]*"


# A character reference a reader sees undecoded (markup split it: "&**#46;") still reads as
# the character to a person.
def _reference(*spellings: str) -> str:
    return "(?:" + "|".join("[*_]*".join(re.escape(c) for c in s) for s in spellings) + ")"


_AT_REFERENCE = _reference("&#64;", "&#064;", "&#x40;", "&commat;")
_DOT_REFERENCE = _reference("&#46;", "&#046;", "&#x2e;", "&period;")
_AT = (
    rf"(?:\s*@\s*|{_AT_REFERENCE}|{_MARK}{_OPEN}{_MARK}(?:{_AT_WORDS}|@){_MARK}{_CLOSE}{_MARK}"
    rf"|[\s\-_*]+(?:{_AT_WORDS})[\s\-_*]+|\s+@\s+)"
)
_DOT = (
    rf"(?:\s*\.\s*|{_DOT_REFERENCE}|{_MARK}{_OPEN}{_MARK}(?:{_DOT_WORDS}|\.){_MARK}{_CLOSE}{_MARK}"
    rf"|[\s\-_*]+(?:{_DOT_WORDS})[\s\-_*]+)"
)


# What may be put between the characters of an address to break it up ("alexa n-der").
_GAP = r"[\s\-_*·/|'`~.]{0,5}"


def _letters(part: str) -> str:
    """Each letter also as its Latin or Cyrillic look-alike (an address is not a word, so the
    fold of a word that mixes scripts may have gone either way: "ехаmрlе"), and anything
    people put between characters allowed between them."""
    return _GAP.join(
        f"[{re.escape(lookalikes.variants(c))}]" if c.isalpha() else re.escape(c) for c in part
    )


def _dotted(part: str) -> str:
    """The dots of the address may be written as words, or left out (the separator-free
    copy of the text has none)."""
    return f"{_GAP}(?:{_DOT})?{_GAP}".join(_letters(p) for p in part.split(".") if p)


def email_matcher(kind: str, raw: str) -> RegexMatcher | None:
    """alex.k@example.net, also ALEX.K@EXAMPLE.NET, "alex.k at example dot net", "alex.k
    (at) example [dot] net", "alex.k małpa example kropka net", "alex.k собака example точка
    net"; full-width forms are folded before (normalise), look-alike letters here."""
    local, _, domain = raw.strip().partition("@")
    if not local:
        return None
    body = _dotted(local) + (f"{_GAP}{_AT}{_GAP}" + _dotted(domain) if domain else "")
    # An underscore around the address may be a disguise ("_а_lexander.k@...net_"), not part
    # of another address.
    pattern = re.compile(rf"(?<![^\W_])(?<![.+\-]){body}(?![^\W_])", re.IGNORECASE)
    # No needle: with look-alikes in any letter no fixed string is sure to be in the text.
    return RegexMatcher(kind, [pattern])


_MESSENGER_LABEL = re.compile(
    r"^\s*(?:telegram|signal|whatsapp|viber|threema|wire|element|matrix|tg|wa)\b\s*[:\-]?\s*",
    re.IGNORECASE,
)
_MESSENGER_URL = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|wa\.me|signal\.me/#p|signal\.me)/",
    re.IGNORECASE,
)


def messenger_matcher(raw: str) -> RegexMatcher | None:
    """Signal: +48 600 100 200 is a phone; @kavaliou_a or t.me/kavaliou_a a handle."""
    handle = _MESSENGER_URL.sub("", _MESSENGER_LABEL.sub("", raw)).strip()
    if re.fullmatch(r"[\d\s+\-().]+", handle) and len(re.sub(r"\D", "", handle)) >= 6:
        return phone_matcher(MESSENGER, handle)
    handle = handle.lstrip("@")
    if not handle:
        return None
    # A short handle is only recognisable with its @; a longer one also bare.
    at = "@?" if len(handle) >= 5 else "@"
    pattern = rf"(?<![\w@.]){at}{_letters(handle)}(?![\w])"
    return RegexMatcher(MESSENGER, [re.compile(pattern, re.IGNORECASE)])
