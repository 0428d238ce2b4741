"""Handing committed messages to the broker from a thread of the process, a few commits at a
time.

A publish costs the request that committed about a millisecond of CPU and a round trip to the
broker; with gifts confirmed many times a second that is a tenth of a webhook's work. Here the
committing request only puts the ids in a queue; a thread of the process takes the first,
gathers whatever else the next few milliseconds bring (NGO_OUTBOX_PUBLISH_WINDOW_MS, at most
`MOST_AT_ONCE` ids) and hands them over as one task. Nothing is lost when the process ends
with ids in hand: the rows are committed, and beat's relay hands them over again after
NGO_OUTBOX_SWEEP_AFTER_SECONDS; a process that exits normally (a CLI command) hands over what
is still queued first.

The standard library's queue and a thread, not a library: kombu and Celery publish one message
per call, and what is batched here is the call.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

MOST_AT_ONCE = 200


class BatchingPublisher:
    """Calls `publish` with the ids handed over within `window` seconds of the first, in the
    order they came, from one thread per process (a new one after a fork: gunicorn's workers
    and Celery's are forked from a parent that may have published)."""

    def __init__(self, publish: Callable[[list[int]], None], window: float) -> None:
        self._publish = publish
        self.window = window
        self._pid = 0
        # Ids of a commit, or a flush's event: publish what is gathered now, then set it.
        self._queue: queue.SimpleQueue[list[int] | threading.Event] = queue.SimpleQueue()
        self._lock = threading.Lock()

    def hand_over(self, ids: list[int]) -> None:
        if self._pid != os.getpid():
            self._start()
        self._queue.put(list(ids))

    def flush(self, timeout: float = 2.0) -> None:
        """Hand over now what this process holds, waiting up to `timeout` seconds (at exit:
        a command's messages)."""
        if self._pid != os.getpid():
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            # What a parent queued is its own to publish; this process starts empty.
            self._queue = queue.SimpleQueue()
            thread = threading.Thread(target=self._run, name="outbox-publisher", daemon=True)
            thread.start()
            self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            ids, flushed = self._gather()
            if ids:
                self._send(ids)
            if flushed is not None:
                flushed.set()

    def _gather(self) -> tuple[list[int], threading.Event | None]:
        item = self._queue.get()
        if isinstance(item, threading.Event):
            return [], item
        ids = item
        deadline = time.monotonic() + self.window
        while len(ids) < MOST_AT_ONCE:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                item = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if isinstance(item, threading.Event):
                return ids, item
            ids = ids + item
        return ids, None

    def _send(self, ids: list[int]) -> None:
        try:
            self._publish(ids)
        except Exception:  # the beat relay picks them up later
            log.warning("outbox messages %s not handed to the broker; relay will retry", ids)


_publishers: dict[Callable[[list[int]], None], BatchingPublisher] = {}


def publisher_for(publish: Callable[[list[int]], None], window: float) -> BatchingPublisher:
    """The process's publisher calling `publish` (one per function), with `window`."""
    found = _publishers.get(publish)
    if found is None:
        found = _publishers[publish] = BatchingPublisher(publish, window)
        atexit.register(found.flush)
    found.window = window
    return found
