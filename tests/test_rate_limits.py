"""The public reading budget counted in batches (ngo/rate_limits.py).

Redis's side is limits' own storage, replaced here by a counter where Redis is not running;
the integration run checks the same against real Redis."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from limits import parse
from limits.storage import RedisStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from ngo import rate_limits
from ngo.rate_limits import FLUSH_EVERY, BatchedRedisStorage

PUBLIC = "public-read"


class FakeRedis:
    """limits' Redis calls, answered from a dict; counts the round trips."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.calls = 0

    # Set on the class, a bound method of this object is called without the storage.
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        self.calls += 1
        self.counts[key] = self.counts.get(key, 0) + amount
        return self.counts[key]

    def get_expiry(self, key: str) -> float:
        self.calls += 1
        return time.time() + 60


@pytest.fixture
def redis(monkeypatch: pytest.MonkeyPatch) -> FakeRedis:
    fake = FakeRedis()
    monkeypatch.setattr(RedisStorage, "incr", fake.incr)
    monkeypatch.setattr(BatchedRedisStorage, "get_expiry", fake.get_expiry)
    return fake


def _storage() -> BatchedRedisStorage:
    # No connection is made until a command is sent.
    storage = storage_from_string("ngo+redis://127.0.0.1:1/0")
    assert isinstance(storage, BatchedRedisStorage)
    return storage


def test_public_reads_go_to_redis_once_per_batch(redis: FakeRedis) -> None:
    limiter = FixedWindowRateLimiter(_storage())
    budget = parse("1000 per minute")
    for _ in range(FLUSH_EVERY * 4):
        assert limiter.hit(budget, "203.0.113.9", PUBLIC)
    # The first request asks Redis, then one call for every FLUSH_EVERY requests.
    assert redis.calls == 4
    assert sum(redis.counts.values()) == FLUSH_EVERY * 4 - (FLUSH_EVERY - 1)


def test_a_single_process_keeps_the_budget_exactly(redis: FakeRedis) -> None:
    limiter = FixedWindowRateLimiter(_storage())
    budget = parse("20 per minute")
    answers = [limiter.hit(budget, "203.0.113.9", PUBLIC) for _ in range(30)]
    assert answers == [True] * 20 + [False] * 10


def test_processes_together_overshoot_by_at_most_a_batch_each(redis: FakeRedis) -> None:
    processes = [FixedWindowRateLimiter(_storage()) for _ in range(3)]
    budget = parse("50 per minute")
    allowed = sum(processes[number % 3].hit(budget, "203.0.113.9", PUBLIC) for number in range(200))
    assert 50 <= allowed <= 50 + 3 * (FLUSH_EVERY - 1)


def test_other_limits_count_every_request_in_redis(redis: FakeRedis) -> None:
    limiter = FixedWindowRateLimiter(_storage())
    login = parse("10 per minute")
    answers = [limiter.hit(login, "203.0.113.9", "login") for _ in range(12)]
    assert answers == [True] * 10 + [False] * 2
    assert redis.calls == 12


def test_readers_are_counted_apart(redis: FakeRedis) -> None:
    limiter = FixedWindowRateLimiter(_storage())
    budget = parse("5 per minute")
    assert all(limiter.hit(budget, "203.0.113.9", PUBLIC) for _ in range(5))
    assert not limiter.hit(budget, "203.0.113.9", PUBLIC)
    assert limiter.hit(budget, "198.51.100.7", PUBLIC)


def test_a_window_that_ran_out_starts_again(
    redis: FakeRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = _storage()
    limiter = FixedWindowRateLimiter(storage)
    budget = parse("3 per minute")
    assert all(limiter.hit(budget, "203.0.113.9", PUBLIC) for _ in range(3))
    assert not limiter.hit(budget, "203.0.113.9", PUBLIC)
    # Redis let the key expire with its window; this process's clock moved on a minute.
    redis.counts.clear()
    later = rate_limits.time.monotonic() + 61
    monkeypatch.setattr(rate_limits.time, "monotonic", lambda: later)
    assert limiter.hit(budget, "203.0.113.9", PUBLIC)


@pytest.mark.skipif(
    not os.environ.get("NGO_TEST_BROKER_URL", "").startswith("redis://"),
    reason="needs Redis (the integration run)",
)
def test_against_real_redis() -> None:
    url = os.environ["NGO_TEST_BROKER_URL"].replace("redis://", "ngo+redis://", 1)
    storage = storage_from_string(url)
    limiter = FixedWindowRateLimiter(storage)
    budget = parse("20 per minute")
    # A reader of its own: the other tests' limits share this Redis database.
    reader = f"reader-{uuid.uuid4().hex}"
    answers = [limiter.hit(budget, reader, PUBLIC) for _ in range(30)]
    assert answers == [True] * 20 + [False] * 10
    # What this process had not sent yet is counted by `get` too.
    key = budget.key_for(reader, PUBLIC)
    assert storage.get(key) == 30
    storage.clear(key)


def test_a_reader_slower_than_a_batch_is_counted_in_redis_every_second(
    redis: FakeRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = FixedWindowRateLimiter(_storage())
    budget = parse("1000 per minute")
    clock = [rate_limits.time.monotonic()]
    monkeypatch.setattr(rate_limits.time, "monotonic", lambda: clock[0])
    assert limiter.hit(budget, "203.0.113.9", PUBLIC)
    clock[0] += 0.5
    assert limiter.hit(budget, "203.0.113.9", PUBLIC)
    assert redis.calls == 1
    clock[0] += 0.6
    assert limiter.hit(budget, "203.0.113.9", PUBLIC)
    assert redis.calls == 2
    assert sum(redis.counts.values()) == 3
