"""Faults the worker survives, with real processes: a Redis of the test's own that it stops and
starts, Celery workers it starts and kills, and an aiosmtpd server it starts, holds and stops.

Each test starts its own worker (prefork, one child, so that time limits apply) with short
backoffs, leases and visibility timeouts, and checks the donors' inboxes: every confirmation
e-mail arrives exactly once. Run by `make test-services`; skipped without the services.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from ngo import outbox
from ngo.donations.confirmation import RECEIPT_KIND, confirm_donation
from ngo.extensions import db
from ngo.outbox import OutboxMessage, WorkStatus, status_of
from tests import factories
from tests.campaigns import appeal_fixtures
from tests.conftest import SERVICES, TEST_DATABASE_URL, TEST_KEYS, login
from tests.fault_handlers import RENDER_FAILS, render_fails
from tests.smtp_server import Inbox, free_port, smtp_server

# One pytest-xdist worker runs the module: one redis-server (module-scoped), and no two fault
# tests' Celery workers competing for the cores against their short time limits.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("worker_faults")]

alexander, published, sample_documents_once, staff = (
    appeal_fixtures.alexander,
    appeal_fixtures.published,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
)

# Short enough for a test of seconds, in the same proportions as the defaults: the lease
# outlasts the hard time limit, the visibility timeout the longest retry wait.
FAST = {
    "NGO_TASK_SOFT_TIME_LIMIT": "4",
    "NGO_TASK_TIME_LIMIT": "5",
    "NGO_OUTBOX_LEASE_SECONDS": "6",
    "NGO_OUTBOX_RETRY_BASE_SECONDS": "0.4",
    "NGO_OUTBOX_RETRY_MAX_SECONDS": "1",
    "NGO_OUTBOX_MAX_ATTEMPTS": "30",
    "NGO_OUTBOX_SWEEP_AFTER_SECONDS": "1",
    "NGO_OUTBOX_RELAY_SECONDS": "1",
    "NGO_BROKER_VISIBILITY_TIMEOUT": "2",
}


def wait_until(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


class RedisServer:
    """A redis-server of the test's own on a free port, keeping nothing on disk: a restart
    loses every queued task, the worst case the outbox must cover."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, "redis-server answers")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.ConnectionError:
            return False


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if not SERVICES:
        pytest.skip("needs NGO_TEST_DATABASE_URL and NGO_TEST_BROKER_URL")
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(own_redis: RedisServer) -> dict[str, object]:
    return {"CELERY_TASK_ALWAYS_EAGER": False, "CELERY_BROKER_URL": own_redis.url}


class Worker:
    """`celery -A tests.fault_worker worker` in a process group of its own, so that a SIGKILL
    takes the main process and its pool child at once, as a lost machine would."""

    def __init__(self, folder: Path, env: dict[str, str], beat: bool) -> None:
        self.log_path = folder / f"worker-{time.monotonic_ns()}.log"
        command = [sys.executable, "-m", "celery", "-A", "tests.fault_worker", "worker"]
        command += ["--pool=prefork", "--concurrency=1", "-l", "INFO"]
        if beat:
            command += ["-B", "-s", str(folder / "beat-schedule")]
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self._ready, 60, f"the worker starts:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text()[-4000:]

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the worker stopped:\n{self.log()}")
        return "ready." in self.log_path.read_text()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(
    own_redis: RedisServer, tmp_path: Path, migrated_test_database: str | None
) -> Iterator[Callable[..., Worker]]:
    redis.Redis.from_url(own_redis.url).flushdb()  # nothing left from the test before
    workers: list[Worker] = []

    def start(mail_port: int, beat: bool = False, **settings: str) -> Worker:
        env = {
            **os.environ,
            "NGO_ENV": "testing",
            "NGO_INSTANCE_PATH": str(tmp_path / "worker-instance"),
            "DATABASE_URL": TEST_DATABASE_URL,
            "CELERY_BROKER_URL": own_redis.url,
            "MAIL_URL": f"smtp://127.0.0.1:{mail_port}",
            "NGO_BASE_URL": "http://ngo.test",
            **TEST_KEYS,
            **FAST,
            **settings,
        }
        worker = Worker(tmp_path, env, beat)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def confirmed_gift(appeal, address: str):
    donor = factories.DonorFactory(organisation_id=appeal.organisation_id, email=address)
    donation = factories.DonationFactory(appeal=appeal, donor=donor)
    assert confirm_donation(donation)
    db.session.commit()  # the after-commit hook hands the receipt's message to the broker
    return donation


def receipt_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == RECEIPT_KIND)
            .order_by(OutboxMessage.id)
        )
    )


def assert_each_got_one(inbox: Inbox, addresses: list[str]) -> None:
    wait_until(lambda: all(inbox.to(a) for a in addresses), 45, f"a mail to each of {addresses}")
    time.sleep(2)  # a second copy, if one were on its way, would have arrived by now
    assert {a: len(inbox.to(a)) for a in addresses} == dict.fromkeys(addresses, 1)


def test_redis_stopped_while_gifts_are_confirmed(app, published, own_redis, start_worker):
    with smtp_server() as (inbox, port):
        start_worker(port, beat=True)
        before = "before.outage@example.org"
        confirmed_gift(published, before)
        inbox.wait_for(before, timeout=30)

        own_redis.stop()
        started = time.monotonic()
        during = [f"during.outage.{n}@example.org" for n in range(3)]
        for address in during:
            confirmed_gift(published, address)  # the commit succeeds; the hand-over fails
        assert time.monotonic() - started < 10  # ...quickly: a donor's page does not hang
        assert all(status_of(row) == WorkStatus.QUEUED for row in receipt_rows()[1:])
        time.sleep(2)
        own_redis.start()  # empty: whatever it held is lost; beat's relay hands it over

        assert_each_got_one(inbox, [before, *during])
    assert all(status_of(row) == WorkStatus.SENT for row in receipt_rows())


def test_a_worker_killed_in_the_middle_of_a_receipt(app, published, start_worker):
    with smtp_server() as (inbox, port):
        worker = start_worker(port)
        inbox.hold_next()  # the worker's SMTP session stops at RCPT: mid-send
        donor = "killed.worker@example.org"
        confirmed_gift(published, donor)
        assert inbox.held.wait(30), worker.log()
        worker.kill()  # SIGKILL, the main process and its child
        inbox.release()
        (row,) = receipt_rows()
        assert row.claimed_at is not None and row.sent_at is None  # the lease outlives it
        time.sleep(2.5)  # past the broker's visibility timeout
        # No beat here: only the broker's redelivery of the unacknowledged task can send it.
        start_worker(port)
        assert_each_got_one(inbox, [donor])
    (row,) = receipt_rows()
    assert status_of(row) == WorkStatus.SENT
    assert row.attempts == 2
    assert row.last_error == "WorkerLost"  # the killed attempt, as the admin page shows it


def test_the_smtp_server_down_for_a_while(app, published, start_worker):
    port = free_port()  # nobody listens there yet
    start_worker(port)
    donor = "smtp.down@example.org"
    confirmed_gift(published, donor)

    def failed_twice() -> bool:
        (row,) = receipt_rows()
        return row.attempts >= 3 and status_of(row) == WorkStatus.FAILED

    wait_until(failed_twice, 30, "three failed attempts")
    (row,) = receipt_rows()
    assert (row.last_error, row.last_error_detail) == (
        "TemporaryDeliveryError",
        "ConnectionRefusedError ECONNREFUSED",
    )
    assert row.due_at is not None
    with smtp_server(port=port) as (inbox, _port):
        assert_each_got_one(inbox, [donor])
    (row,) = receipt_rows()
    assert status_of(row) == WorkStatus.SENT and row.attempts >= 4


def test_a_handler_that_raises_is_failed_on_the_admin_page_and_the_rest_goes_on(
    app, client, published, staff, start_worker
):
    outbox.register_handler(app, RENDER_FAILS, render_fails)
    with smtp_server() as (inbox, port):
        # A long first wait: the failed message stays failed while the page is looked at.
        worker = start_worker(
            port,
            NGO_OUTBOX_RETRY_BASE_SECONDS="60",
            NGO_OUTBOX_RETRY_MAX_SECONDS="60",
            NGO_BROKER_VISIBILITY_TIMEOUT="120",
        )
        failing = outbox.enqueue(
            RENDER_FAILS, {"report_id": 1}, organisation_id=published.organisation_id
        )
        db.session.commit()
        donor = "other.work@example.org"
        confirmed_gift(published, donor)
        assert_each_got_one(inbox, [donor])

    db.session.expire_all()
    row = db.session.get_one(OutboxMessage, failing.id)
    assert status_of(row) == WorkStatus.FAILED
    assert (row.last_error, row.last_error_detail, row.attempts) == ("RuntimeError", "", 1)
    login(client, staff["admin"])
    page = client.get("/admin/work").get_data(as_text=True)
    assert "Failed, will be tried again (1)" in page
    assert f"<td>{failing.id}</td>" in page and "<code>RuntimeError</code>" in page
    assert f"/admin/work/{failing.id}/retry" in page
    assert "Kowalczyk" not in page
    assert "RuntimeError" in worker.log() and "Kowalczyk" not in worker.log()
