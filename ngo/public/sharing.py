"""Share links for an appeal: plain addresses of the networks' own share pages, built here so
that no third-party script runs on our pages and nothing tells a network who is reading.

Each link carries only the appeal's public address and its title (what the reader shares
anyway): no tracking parameters, no referrer to us beyond what the reader's click sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode


@dataclass(frozen=True, slots=True)
class ShareLink:
    # What the link is called: a network's own name (not translated), or the e-mail label.
    name: str
    href: str
    # A short key for the link's CSS class and for tests.
    key: str


def _query(**values: str) -> str:
    # quote_via=quote: spaces as %20, which every network's page and mail client reads
    # (a "+" shows as a plus sign in some mail clients).
    return urlencode(values, quote_via=quote)


def share_links(url: str, title: str, email_label: str, email_body: str) -> list[ShareLink]:
    """The share links of a page at `url` (absolute) titled `title`: e-mail first (it needs no
    account anywhere), then the big networks. `email_body` is the message's text before the
    address."""
    text = f"{title} {url}"
    return [
        ShareLink(
            email_label,
            "mailto:?" + _query(subject=title, body=f"{email_body}\n\n{url}"),
            "email",
        ),
        ShareLink(
            "Facebook", "https://www.facebook.com/sharer/sharer.php?" + _query(u=url), "facebook"
        ),
        ShareLink("X", "https://x.com/intent/post?" + _query(text=title, url=url), "x"),
        ShareLink("Telegram", "https://t.me/share/url?" + _query(url=url, text=title), "telegram"),
        ShareLink("WhatsApp", "https://wa.me/?" + _query(text=text), "whatsapp"),
        ShareLink(
            "LinkedIn",
            "https://www.linkedin.com/sharing/share-offsite/?" + _query(url=url),
            "linkedin",
        ),
    ]
