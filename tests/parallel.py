"""The suite on several cores (pytest-xdist, `-n auto`): each worker process gets services of
its own, so that no test sees what a test on another worker commits, flushes or empties.

- PostgreSQL: the database named by NGO_TEST_DATABASE_URL with the worker's id appended
  (``ngo_test`` -> ``ngo_test_gw0``, ``ngo_test_gw1``...), created if missing with the URL's
  own credentials through the ``postgres`` maintenance database.
- Redis: the database number of NGO_TEST_BROKER_URL plus the worker's index (``/14`` -> ``/14``
  and ``/15``): the broker, the rate limits and the integration tests' FLUSHDB stay in it.
- Folders: pytest's ``tmp_path`` is per worker already; ports are the kernel's free ones
  (port 0), never chosen before binding.

Without xdist (``-n 0``, ``-p no:xdist``) the URLs are used as given.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# Set by pytest-xdist in each worker's environment before any conftest is imported.
WORKER_ID = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_index() -> int:
    """0 for "gw0" (and without xdist), 1 for "gw1"..."""
    return int(WORKER_ID.removeprefix("gw")) if WORKER_ID else 0


def worker_database_url(url: str) -> str:
    if not url or not WORKER_ID:
        return url
    parsed = make_url(url)
    own = parsed.set(database=f"{parsed.database}_{WORKER_ID}")
    return own.render_as_string(hide_password=False)


def broker_database(url: str) -> int:
    return int(urlsplit(url).path.strip("/") or 0)


def worker_broker_url(url: str) -> str:
    if not url or not WORKER_ID:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{broker_database(url) + worker_index()}"))


def redis_database_count(url: str) -> int:
    """How many numbered databases the Redis server has (`databases`, 16 unless configured)."""
    try:
        answer = redis.Redis.from_url(url).config_get("databases")
    except redis.RedisError:  # CONFIG can be renamed away on a managed server
        return 16
    return int(answer.get("databases", 16))


def workers_redis_allows(url: str) -> int:
    """The most workers that each get a Redis database of their own from `url`'s number on."""
    return max(1, redis_database_count(url) - broker_database(url))


def check_own_redis_database(url: str) -> None:
    """A clear refusal instead of every Redis-backed test failing with "DB index is out of
    range" (a base number too close to the server's last database for this many workers)."""
    try:
        redis.Redis.from_url(url).ping()
    except redis.ResponseError as error:
        raise RuntimeError(
            f"worker {WORKER_ID or 'main'} needs Redis database {broker_database(url)}: {error}. "
            "Give NGO_TEST_BROKER_URL a lower database number or run fewer workers (-n)."
        ) from error


def create_database_if_missing(sqlalchemy_url: str) -> None:
    """CREATE DATABASE needs a connection to another database, outside any transaction."""
    wanted = make_url(sqlalchemy_url)
    engine = create_engine(wanted.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": wanted.database},
            )
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(str(wanted.database))
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()
