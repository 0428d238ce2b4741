"""gunicorn's logger with the tokens of e-mailed links taken out of every line.

The links in our e-mails carry their tokens after "#", which never reaches a server (see
accounts/views/links.py). Three kinds of address still hold a token in the path: the one-click
unsubscribe address that mail programs POST to (RFC 8058 needs the token in the address), and
links in e-mails sent before the change. A token in a log is a working key to someone's
subscription or account for as long as logs are kept, and logs travel further than the database
(log collectors, support tickets), so this logger rewrites them before anything is written.

gunicorn reads gunicorn.conf.py from its working directory (the repository root in the Procfile,
/app in the container), which names this class as its logger_class.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from gunicorn.glogging import Logger

if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from datetime import timedelta

    from gunicorn.glogging import _AtomsDict
    from gunicorn.http import Request
    from gunicorn.http.wsgi import Response

REDACTED = "[redacted]"

# A path segment after one of these prefixes that is long enough to be a token (ours are 43 to
# about 90 characters; the fixed words of these routes, like "accept" or "confirm", are short).
_TOKEN_IN_PATH = re.compile(
    r"(?P<prefix>/(?:invitation|password/reset|follow|giving(?:/monthly|/receipts)?)/)"
    r"(?P<token>[^/?#\s\"']{16,})"
)
# A token in a query string, whatever the path, for any future link that puts it there.
_TOKEN_IN_QUERY = re.compile(r"(?P<prefix>(?:^|[?&\s])token=)(?P<token>[^&#\s\"']+)")


def redact(text: str) -> str:
    """`text` with every link token replaced by [redacted]."""
    text = _TOKEN_IN_PATH.sub(lambda m: m["prefix"] + REDACTED, text)
    return _TOKEN_IN_QUERY.sub(lambda m: m["prefix"] + REDACTED, text)


class RedactingLogger(Logger):
    """Redacts every value of the access-log line (request line, path, query, Referer and any
    header or environ atom a custom access_log_format may use) and the error log's arguments
    (gunicorn names the request's address when a request fails)."""

    def atoms(
        self,
        resp: Response,
        req: Request,
        environ: MutableMapping[str, Any],
        request_time: timedelta,
    ) -> _AtomsDict:
        found = super().atoms(resp, req, environ, request_time)
        # Same keys, and a str value stays a str: the shape the stub declares is kept.
        return cast(
            "_AtomsDict", {k: redact(v) if isinstance(v, str) else v for k, v in found.items()}
        )

    def _clean(self, msg: Any, args: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        msg = redact(msg) if isinstance(msg, str) else msg
        return msg, tuple(redact(a) if isinstance(a, str) else a for a in args)

    def error(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        msg, args = self._clean(msg, args)
        super().error(msg, *args, **kwargs)

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        msg, args = self._clean(msg, args)
        super().warning(msg, *args, **kwargs)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        msg, args = self._clean(msg, args)
        super().exception(msg, *args, **kwargs)

    def info(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        msg, args = self._clean(msg, args)
        super().info(msg, *args, **kwargs)

    def debug(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        msg, args = self._clean(msg, args)
        super().debug(msg, *args, **kwargs)
