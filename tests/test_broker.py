"""The Redis broker's transport keeps one client per channel (ngo.broker). A kombu channel
talks to Redis as it opens: those tests are the integration run's (real Redis); the choice
of transport is checked everywhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kombu import Connection, Producer, Queue

from ngo import broker
from ngo.celery_app import _transport
from tests.conftest import TEST_BROKER_URL


@pytest.fixture
def channel() -> Iterator[broker.RedisChannel]:
    with Connection(TEST_BROKER_URL, transport=broker.TRANSPORT) as connection:
        made = connection.channel()
        assert isinstance(made, broker.RedisChannel)
        yield made


@pytest.mark.integration
def test_a_channel_sends_its_commands_through_one_client(channel):
    with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
        assert first is second
        assert first.connection_pool is channel.pool


@pytest.mark.integration
def test_what_it_publishes_arrives(channel):
    queue = Queue("ngo-broker-test", channel=channel)
    queue.declare()
    queue.purge()
    producer = Producer(channel)
    for number in range(3):
        producer.publish({"n": number}, routing_key=queue.name, declare=[queue])
    got = [queue.get(no_ack=True).payload for _ in range(3)]
    assert got == [{"n": 0}, {"n": 1}, {"n": 2}]
    queue.delete()


@pytest.mark.integration
def test_a_new_pool_gets_a_new_client(channel):
    with channel.conn_or_acquire() as before:
        pass
    channel._disconnect_pools()  # what kombu does after a fork
    with channel.conn_or_acquire() as after:
        assert after is not before
        assert after.connection_pool is channel.pool


@pytest.mark.integration
def test_a_client_given_is_the_one_used(channel):
    given = object()
    with channel.conn_or_acquire(given) as client:
        assert client is given


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("redis://127.0.0.1:6379/0", broker.TRANSPORT),
        ("rediss://cache.example:6380/0", broker.TRANSPORT),
        ("sqla+sqlite:////tmp/broker.sqlite", None),
        ("amqp://guest@localhost//", None),
    ],
)
def test_only_redis_urls_take_the_transport(url, transport):
    assert _transport(url) == transport
