"""The rate limits' storage: Redis, with the public reading budget counted in batches.

Every public page and API answer counts against its reader's budget (`http_cache.public_limit`).
Counted in Redis one request at a time, that is a round trip on every answer, cached or not:
about half a millisecond of a page that Flask answers in two. `ngo+redis://` (the production
setting) keeps the counts of that one budget in each web process and adds them to Redis every
`FLUSH_EVERY` requests of a reader or `FLUSH_SECONDS`, whichever comes first; a reader's first
request in a window always asks Redis. A process decides by what Redis last told it plus what
it has not sent yet, so a reader spreading requests over W processes can read up to
W x (FLUSH_EVERY - 1) more than the budget in a window: a few pages on top of 300 a minute,
still far too few for bulk scraping. Every other limit (signing in, the webhook, the forms)
goes to Redis on each request, as before: those budgets are small and guard secrets.

limits' Redis storage does the Redis side (its incr-with-expiry script, its key prefix); this
class only decides when to call it. There is no batching storage in limits or Flask-Limiter.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from limits.storage import RedisStorage

# The key Flask-Limiter builds for a shared limit holds its scope.
BATCHED_SCOPE = "/public-read/"
FLUSH_EVERY = 8
FLUSH_SECONDS = 1.0
SCHEME = "ngo+redis"


@dataclass
class _Window:
    shared: int  # the count Redis answered last
    unsent: int  # counted here since
    ends: float  # when the window runs out (monotonic clock)
    sent_at: float


class BatchedRedisStorage(RedisStorage):
    """`ngo+redis://host:port/db`: a Redis storage (the URI's rest is Redis's) whose public
    reading budget is counted in batches (module docstring)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.replace(f"{SCHEME}://", "redis://", 1), **options)
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        if BATCHED_SCOPE not in key:
            return super().incr(key, expiry, amount)
        now = time.monotonic()
        with self._lock:
            window = self._windows.get(key)
            if window is not None and now >= window.ends:
                del self._windows[key]
                window = None
            if window is not None and (
                window.unsent + amount < FLUSH_EVERY and now - window.sent_at < FLUSH_SECONDS
            ):
                window.unsent += amount
                return window.shared + window.unsent
            sending = amount
            if window is not None:
                # Taken out under the lock: another thread's requests meanwhile are its own.
                sending += window.unsent
                window.unsent = 0
                window.sent_at = now
        shared = super().incr(key, expiry, sending)
        if window is not None:
            ends = window.ends
        elif shared == sending:
            ends = now + expiry  # this count started the window in Redis just now
        else:
            ends = now + max(self.get_expiry(key) - time.time(), 0)
        with self._lock:
            current = self._windows.get(key)
            if current is window and current is not None:
                current.shared = max(current.shared, shared)
                unsent = current.unsent
            else:
                unsent = 0
                self._windows[key] = _Window(shared, 0, ends, now)
            if len(self._windows) > 10_000:
                self._forget_ended(now)
        return shared + unsent

    def get(self, key: str) -> int:
        with self._lock:
            window = self._windows.get(key)
            unsent = window.unsent if window is not None and time.monotonic() < window.ends else 0
        return super().get(key) + unsent

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)
        super().clear(key)

    def reset(self) -> int | None:
        with self._lock:
            self._windows.clear()
        return super().reset()

    def _forget_ended(self, now: float) -> None:
        for key in [key for key, window in self._windows.items() if now >= window.ends]:
            del self._windows[key]
