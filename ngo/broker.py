"""The Redis broker's transport, as kombu's but for one client kept per channel.

kombu's Redis channel builds a new `redis.Redis` for every synchronous command it sends
(`Channel.conn_or_acquire`), a publish included; the client shares the channel's connection
pool, so what it costs is its construction: redis-py fills a table of some 170 response
callbacks for every client, a third of a task's publish (0.3 of 0.9 ms of CPU, measured in
bench/README "Stop 21"), paid by every web request that commits an outbox message. The
channel here keeps the client it made for as long as the channel keeps its pool (kombu makes
a new pool after a fork): a `redis.Redis` is safe to share, each command takes a connection
from the pool. kombu offers no setting for this, so the one method is overridden.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis as kombu_redis

# The setting that selects it (Celery's broker_transport, kombu's "module:Class").
TRANSPORT = "ngo.broker:RedisTransport"


class RedisChannel(kombu_redis.Channel):
    _kept_client: Any = None
    _kept_for_pool: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        pool = self.pool
        if self._kept_client is None or self._kept_for_pool is not pool:
            # (celery-types' kombu stubs leave out the channel's own _create_client)
            made = self._create_client()  # type: ignore[attr-defined]
            self._kept_client, self._kept_for_pool = made, pool
        yield self._kept_client


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel
