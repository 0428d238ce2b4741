"""Test fixtures: one app and one schema per run, each test inside a transaction rolled back at
its end; real mail files, real login flows.

`make test` runs on SQLite with no service. `make test-services` (CI) sets
NGO_TEST_DATABASE_URL and NGO_TEST_BROKER_URL: the same suite then runs on PostgreSQL (schema
built once by the Alembic migrations) with Redis for rate limits, and the tests marked
`integration` talk to a real Celery worker process.

Isolation, as Warehouse and Indico do it: each test opens one connection and begins a
transaction on it; every Session the code under test makes (the test's own, each test-client
request's, each eager Celery task's) joins that connection with
``join_transaction_mode="create_savepoint"``. A ``commit()`` in a view, a service, the outbox
relay or a task releases a SAVEPOINT, and it is still the Session's own commit: its
``before_commit`` and ``after_commit`` hooks (listing recomputation, outbox dispatch, the eager
task it starts) run exactly as in production. The test's end rolls the outer transaction back.

Tests that need commits other connections or processes can see (a live server for Chromium,
the real Celery worker, migrations, files of the database itself) are marked `committed`: they
get an app of their own and a database whose tables are emptied before the test (TRUNCATE ...
RESTART IDENTITY CASCADE on PostgreSQL, DELETE on SQLite) and, on PostgreSQL, after it.

`make test` and `make test-services` spread the tests over the cores with pytest-xdist: each
worker process has its own PostgreSQL database, Redis database and folders (tests/parallel.py).
"""

from __future__ import annotations

import contextvars
import email
import email.policy
import functools
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine

from ngo import create_app
from ngo.accounts.models import User
from ngo.demo import cases as demo_cases
from ngo.extensions import db, limiter
from tests import factories, parallel

# This worker's own database and Redis database (the URLs as given without pytest-xdist).
TEST_DATABASE_URL = parallel.worker_database_url(os.environ.get("NGO_TEST_DATABASE_URL", ""))
TEST_BROKER_URL = parallel.worker_broker_url(os.environ.get("NGO_TEST_BROKER_URL", ""))
REQUIRE_SERVICES = os.environ.get("NGO_TEST_REQUIRE_SERVICES") == "1"
SERVICES = bool(TEST_DATABASE_URL and TEST_BROKER_URL)
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-production-checks"
# Explicit keys, so that no test generates key files (ngo/keyfiles.py) by accident.
TEST_KEYS = {
    "SECRET_KEY": TEST_SECRET_KEY,
    "NGO_DATA_KEYS": "dGVzdC1kYXRhLWtleS1mb3ItdGhlLXRlc3Qtc3VpdGU=",
    "NGO_INDEX_KEY": "test-index-key-that-is-long-enough-for-production",
    "NGO_AUDIT_KEY": "test-audit-key-that-is-long-enough-for-production",
    "NGO_AUDIT_SIGNING_KEY": "dGVzdC1hdWRpdC1zaWduaW5nLWtleS0zMi1ieXRlcyE",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # The real worker, and a live server's threads, read what the test committed on
        # connections of their own: such a test needs a database of its own.
        needs_commits = "integration" in item.keywords or "live_server" in getattr(
            item, "fixturenames", ()
        )
        if needs_commits and "committed" not in item.keywords:
            item.add_marker(pytest.mark.committed)
    if SERVICES:
        return
    skip = pytest.mark.skip(reason="needs NGO_TEST_DATABASE_URL and NGO_TEST_BROKER_URL")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker per core, but no more than there are Redis databases for."""
    from xdist.plugin import pytest_xdist_auto_num_workers as one_per_core

    cores = one_per_core(config)
    if not SERVICES:
        return cores
    return min(cores, parallel.workers_redis_allows(TEST_BROKER_URL))


# Under xdist the controller sees every worker's reports (pytest_runtest_logreport) but collects
# nothing itself: each worker hands it the integration tests it collected (all workers collect
# the same), through `workeroutput` when it finishes.
_integration_outcomes: dict[str, str] = {}
_integration_collected: set[str] = set()


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "integration" in report.keywords and (report.when == "call" or report.skipped):
        _integration_outcomes[report.nodeid] = report.outcome


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    _integration_collected.update(getattr(node, "workeroutput", {}).get("integration_tests", []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With NGO_TEST_REQUIRE_SERVICES=1 a skipped or missing integration test fails the run
    (decided where every report arrives: the xdist controller, or the only process)."""
    if not REQUIRE_SERVICES:
        return
    own = [i.nodeid for i in session.items if "integration" in i.keywords]
    if _is_xdist_worker(session.config):
        session.config.workeroutput["integration_tests"] = own  # type: ignore[attr-defined]
        return
    collected = sorted(_integration_collected.union(own))
    passed = [n for n in collected if _integration_outcomes.get(n) == "passed"]
    _integration_summary.append(
        f"integration tests: {len(passed)} passed of {len(collected)} collected"
    )
    if not collected or len(passed) < len(collected):
        _integration_summary.append("integration tests were skipped or failed: failing the run")
        session.exitstatus = 1


_integration_summary: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Called after pytest_sessionfinish, on a line of its own below the progress dots."""
    for line in _integration_summary:
        terminalreporter.write_line(line, red="failing" in line)


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def migrated_test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """On PostgreSQL the schema comes from the migrations, proving them for the whole suite."""
    if not SERVICES:
        yield None
        return
    parallel.check_own_redis_database(TEST_BROKER_URL)
    parallel.create_database_if_missing(_sqlalchemy_url(TEST_DATABASE_URL))
    engine = create_engine(_sqlalchemy_url(TEST_DATABASE_URL))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    folder = tmp_path_factory.mktemp("migrations")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NGO_INSTANCE_PATH", str(folder / "instance"))
        app = create_app(_base_config(folder))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield TEST_DATABASE_URL


def _base_config(tmp: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "NGO_ENV": "testing",
        **TEST_KEYS,
        "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(TEST_DATABASE_URL)
        if SERVICES
        else f"sqlite:///{tmp / 'test.sqlite'}",
        "CELERY_BROKER_URL": TEST_BROKER_URL if SERVICES else "memory://",
        "CELERY_TASK_ALWAYS_EAGER": True,
        # The run's own Redis database: a fixed one was shared with (and reset by) any other
        # suite running at the same time. The limiter's keys have their own prefix.
        "RATELIMIT_STORAGE_URI": TEST_BROKER_URL if SERVICES else "memory://",
        "MAIL_URL": f"file://{tmp / 'outbox'}",
        "NGO_FILES_PATH": str(tmp / "files"),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "NGO_BASE_URL": "http://ngo.test",
    }


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, object]:
    """Override entries in a test module to change the app the `app` fixture builds."""
    return {}


# One connection per test, joined by every Session -----------------------------------------

_test_connection: Connection | None = None


class _JoiningSession(FlaskSession):
    """While a test holds a connection, every Session runs on it (in its own SAVEPOINT)."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any):
        if bind is None and _test_connection is not None:
            return _test_connection
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kw)


@pytest.fixture(scope="session", autouse=True)
def _sessions_join_the_test_connection() -> Iterator[None]:
    factory = db.session.session_factory
    original = factory.class_, dict(factory.kw)
    factory.class_ = _JoiningSession
    factory.configure(join_transaction_mode="create_savepoint")
    yield
    factory.class_, factory.kw = original


def _sqlite_savepoints(engine: Engine) -> None:
    """pysqlite (Python < 3.12) emits no BEGIN before a SAVEPOINT, so a released SAVEPOINT
    would be committed for good; SQLAlchemy's recipe: the driver leaves transactions alone and
    SQLAlchemy emits BEGIN itself ("Serializable isolation / Savepoints / Transactional DDL")."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    engine.dispose()  # connections made before the listeners would keep the driver's mode


@pytest.fixture(scope="session")
def _session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("session")


_apps: dict[str, Flask] = {}
_schema_built: list[bool] = []  # SQLite: the run's database file has its tables


def _shared_app(folder: Path, overrides: dict[str, object], *, fresh: bool = False) -> Flask:
    """The app for one `app_config`, built once per run (or, `fresh`, for one test); every one
    uses the same database."""
    key = repr(sorted(overrides.items(), key=lambda item: item[0]))
    if key in _apps and not fresh:
        return _apps[key]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NGO_INSTANCE_PATH", str(folder / f"instance-{len(_apps)}"))
        application = create_app({**_base_config(folder), **overrides})
    application.test_client_class = IsolatedClient
    with application.app_context():
        if not _schema_built and not SERVICES:
            db.create_all()
        _schema_built.append(True)
        if db.engine.dialect.name == "sqlite":
            _sqlite_savepoints(db.engine)
    if not fresh:
        _apps[key] = application
    return application


def _per_test_state(application: Flask, tmp_path: Path) -> dict[str, Any]:
    """Give the shared app this test's folders and fresh in-memory state; returns the config
    to restore afterwards (tests may change `app.config`)."""
    saved = dict(application.config)
    application.config["MAIL_URL"] = f"file://{tmp_path / 'outbox'}"
    application.config["NGO_FILES_PATH"] = str(tmp_path / "files")
    application.extensions.pop("ngo_page_cache", None)
    celery = application.extensions["celery"]
    celery.conf.broker_url = application.config["CELERY_BROKER_URL"]
    celery.set_default()
    celery.set_current()
    return saved


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    app_config: dict[str, object],
    migrated_test_database: str | None,
    _session_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    monkeypatch.setenv("NGO_INSTANCE_PATH", str(tmp_path / "instance"))
    if request.node.get_closest_marker("committed"):
        yield from _committed_app(tmp_path, app_config)
        return
    global _test_connection
    fresh = request.node.get_closest_marker("fresh_app") is not None
    application = _shared_app(_session_folder, app_config, fresh=fresh)
    saved_config = _per_test_state(application, tmp_path)
    with application.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        _test_connection = connection
        limiter.reset()
        try:
            yield application
        finally:
            db.session.remove()
            _test_connection = None
            outer.rollback()
            connection.close()
            application.config.clear()
            application.config.update(saved_config)
            if fresh:
                with application.app_context():
                    db.engine.dispose()


def _committed_app(tmp_path: Path, app_config: dict[str, object]) -> Iterator[Flask]:
    """An app of the test's own whose commits are real: a new SQLite file, or the PostgreSQL
    test database. The tables are emptied before the test (an earlier committed test that
    failed in its teardown, or an interrupted run, can have left rows) and, on PostgreSQL,
    after it too, for the tests that follow on the same database."""
    application = create_app({**_base_config(tmp_path), **app_config})
    application.test_client_class = IsolatedClient
    factories.commit_for_other_connections = True
    try:
        with application.app_context():
            if not SERVICES:
                db.create_all()
            _empty_all_tables()
            limiter.reset()
            try:
                yield application
            finally:
                db.session.remove()
                if SERVICES:
                    _empty_all_tables()
                db.engine.dispose()
    finally:
        factories.commit_for_other_connections = False


def _empty_all_tables() -> None:
    """Every table of the models, empty, its sequences back at 1 (Alembic's version table is
    not a model's and stays)."""
    tables = db.metadata.sorted_tables
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quote = connection.dialect.identifier_preparer.quote
            names = ", ".join(quote(t.name) for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):  # children before the rows they point at
                connection.execute(table.delete())


class IsolatedClient(FlaskClient):
    """Each request gets its own application context, as in production.

    Flask reuses an application context that is already pushed (the `app` fixture pushes one
    for factories and assertions), which would share `g`, the logged-in user and the database
    session between requests and hide bugs. Running the request in an empty context avoids it.

    What the test arranged is committed first, as it would be by the time a browser asks (the
    factories only flush): the request's own Session then reads it, the commit hooks have run,
    and the test's objects are expired, so that what the test reads afterwards comes from the
    database, as the request left it, not from the test's memory.
    """

    def open(self, *args: object, **kwargs: object):
        _commit_arrangement()
        return contextvars.Context().run(super().open, *args, **kwargs)


def _commit_arrangement() -> None:
    from flask import has_app_context

    if not has_app_context():
        return
    session = db.session()
    transaction = session.get_transaction()
    if transaction is not None and transaction.is_active:
        session.commit()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def browser(app: Flask, client: FlaskClient) -> Callable[[], FlaskClient]:
    """Another browser (its own cookies), built the same way as `client`."""
    return app.test_client


@functools.cache
def _rendered_sample_pdf(title: str, lines: tuple[str, ...]) -> bytes:
    return _real_sample_pdf(title, list(lines))


_real_sample_pdf = demo_cases.sample_pdf


@pytest.fixture
def sample_documents_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's sample PDFs are the same in every test: WeasyPrint draws each once per run
    (about half a second each, seven per `seed_demo`)."""
    monkeypatch.setattr(
        demo_cases, "sample_pdf", lambda title, lines: _rendered_sample_pdf(title, tuple(lines))
    )


@pytest.fixture(autouse=True)
def _eager_results_are_readable() -> None:
    """Tests read an eager task's result (`task.apply().get()`), which never blocks. Celery keeps
    one process-wide "joining would block" flag, set when a task is traced as in a worker; in the
    integration run an earlier test in random order can leave it set, and every later `.get()`
    then refuses with "Never call result.get() within a task!"."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


# Mail -------------------------------------------------------------------------------------


def sent_mail(app: Flask) -> list[Message]:
    folder = Path(str(app.config["MAIL_URL"]).removeprefix("file://"))
    if not folder.exists():
        return []
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def mail_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def readable_mail(message: Message) -> str:
    """What a recipient can read: the headers people see and every decoded text part.

    Not ``as_string()``: its MIME boundaries and Message-ID are random digits that hold a
    year such as "1979" now and then, which made a privacy assertion flaky.
    """
    shown = [f"{name}: {message[name]}" for name in ("From", "To", "Reply-To", "Subject")]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            shown.append(part.get_payload(decode=True).decode())
    return "\n".join(shown)


def link_in(message: Message) -> str:
    match = re.search(r"http://ngo\.test(/\S+)", mail_text(message))
    assert match, "no link in the message"
    return match.group(1)


# Users and sign-in ------------------------------------------------------------------------


def current_totp(user: User) -> str:
    """A code the server will accept: the current step, or the next one if this step is used."""
    step = int(time.time() // 30)
    if user.totp_last_step is not None and user.totp_last_step >= step:
        step = user.totp_last_step + 1
    return pyotp.TOTP(user.totp_secret).at(step * 30)


def login(client: FlaskClient, user: User, password: str = factories.PASSWORD) -> None:
    """Sign in through the real pages, second factor included."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    if response.headers["Location"].endswith("/login/two-factor"):
        db.session.refresh(user)
        response = client.post("/login/two-factor", data={"code": current_totp(user)})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert not response.headers["Location"].endswith(("/login", "/two-factor/setup"))


@pytest.fixture
def organisation(app: Flask) -> factories.Organisation:
    return factories.OrganisationFactory()


@pytest.fixture
def make_user(app: Flask, organisation: factories.Organisation):
    def make(role: str = "caseworker", **kwargs: object) -> User:
        kwargs.setdefault("organisation", organisation)
        return factories.UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def admin(make_user) -> User:
    return make_user("admin")


@pytest.fixture
def admin_client(client: FlaskClient, admin: User) -> FlaskClient:
    login(client, admin)
    return client


@pytest.fixture(autouse=True)
def _loggers_enabled() -> None:
    """Every test starts with every logger enabled, as in a fresh process: a logging
    configuration applied earlier in the same xdist worker (dictConfig and fileConfig disable
    the loggers they do not name; Celery's and gunicorn's set-ups call them) silenced loggers
    that later tests read through caplog, which then saw nothing."""
    for logger in logging.root.manager.loggerDict.values():
        if isinstance(logger, logging.Logger) and logger.disabled:
            logger.disabled = False
