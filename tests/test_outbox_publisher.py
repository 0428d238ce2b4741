"""The outbox's publishing thread: the commits of a few milliseconds as one publish."""

from __future__ import annotations

import threading
import time

from ngo.outbox.publisher import MOST_AT_ONCE, BatchingPublisher


class _Broker:
    def __init__(self, fail_first: bool = False) -> None:
        self.published: list[list[int]] = []
        self.fail_first = fail_first
        self.arrived = threading.Event()

    def publish(self, ids: list[int]) -> None:
        if self.fail_first:
            self.fail_first = False
            raise ConnectionError("broker down")
        self.published.append(ids)
        self.arrived.set()

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 5
        while sum(map(len, self.published)) < count and time.monotonic() < deadline:
            time.sleep(0.005)


def test_the_commits_of_one_window_go_as_one_publish_in_their_order():
    broker = _Broker()
    publisher = BatchingPublisher(broker.publish, window=0.2)
    for ids in ([1, 2], [3], [4, 5]):
        publisher.hand_over(ids)
    broker.wait_for(5)
    assert broker.published == [[1, 2, 3, 4, 5]]


def test_a_commit_after_the_window_goes_in_the_next_publish():
    broker = _Broker()
    publisher = BatchingPublisher(broker.publish, window=0.01)
    publisher.hand_over([1])
    broker.wait_for(1)
    publisher.hand_over([2])
    broker.wait_for(2)
    assert broker.published == [[1], [2]]


def test_one_publish_holds_at_most_so_many_ids():
    broker = _Broker()
    publisher = BatchingPublisher(broker.publish, window=0.5)
    for n in range(MOST_AT_ONCE + 10):
        publisher.hand_over([n])
    broker.wait_for(MOST_AT_ONCE + 10)
    assert [len(ids) for ids in broker.published] == [MOST_AT_ONCE, 10]


def test_a_broker_that_fails_loses_that_publish_only_and_the_thread_goes_on(caplog):
    # The rows are committed: beat's relay hands the lost ones over again.
    broker = _Broker(fail_first=True)
    publisher = BatchingPublisher(broker.publish, window=0.01)
    publisher.hand_over([1])
    time.sleep(0.1)
    publisher.hand_over([2])
    broker.wait_for(1)
    assert broker.published == [[2]]
    assert "not handed to the broker" in caplog.text


def test_flush_hands_over_at_once_what_the_window_still_holds():
    broker = _Broker()
    publisher = BatchingPublisher(broker.publish, window=30)
    publisher.hand_over([1])
    publisher.hand_over([2])
    started = time.monotonic()
    publisher.flush()
    assert broker.published == [[1, 2]]
    assert time.monotonic() - started < 5


def test_a_flush_with_nothing_held_returns():
    broker = _Broker()
    publisher = BatchingPublisher(broker.publish, window=0.01)
    publisher.flush()  # never started in this process
    publisher.hand_over([1])
    broker.wait_for(1)
    publisher.flush()
    assert broker.published == [[1]]
