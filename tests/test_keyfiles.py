"""Generated development keys, and files only their owner can read.

No key ships in the source code: development instances get random keys on their first start,
and everything the processes write into the instance folder is mode 0600 in folders of 0700.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from ngo import create_app
from ngo.config import ConfigurationError
from ngo.keyfiles import GENERATORS, keys_folder
from tests import factories
from tests.conftest import IsolatedClient, login

REPO = Path(__file__).resolve().parents[1]
PUBLISHED_SECRET_KEY = "dev-secret-key-not-for-production"  # in the source until this change
KEY_VARIABLES = list(GENERATORS)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in [*KEY_VARIABLES, "NGO_ENV", "DATABASE_URL", "CELERY_BROKER_URL", "MAIL_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NGO_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def test_development_generates_each_key_once_readable_by_the_owner_only(clean_env, tmp_path):
    first = create_app()
    folder = keys_folder(first.instance_path)
    assert _mode(tmp_path / "instance") == 0o700
    assert _mode(folder) == 0o700
    for name in KEY_VARIABLES:
        assert _mode(folder / name) == 0o600
        assert first.config[name] == (folder / name).read_text().strip()
    assert sorted(p.name for p in folder.iterdir()) == sorted(KEY_VARIABLES)  # no leftovers
    again = create_app()
    assert all(again.config[name] == first.config[name] for name in KEY_VARIABLES)
    assert len(set(first.config[name] for name in KEY_VARIABLES)) == len(KEY_VARIABLES)


def test_the_environment_wins_over_the_generated_files(clean_env):
    generated = create_app().config["SECRET_KEY"]
    clean_env.setenv("SECRET_KEY", "s" * 48)
    app = create_app()
    assert app.config["SECRET_KEY"] == "s" * 48 != generated


def _start_and_report(instance: str, barrier, results) -> None:
    os.environ["NGO_INSTANCE_PATH"] = instance
    barrier.wait()
    app = create_app()
    results.put({name: app.config[name] for name in KEY_VARIABLES})


def test_processes_starting_at_the_same_moment_get_the_same_keys(clean_env, tmp_path):
    # web workers, the worker and beat start together under honcho or docker-compose
    context = multiprocessing.get_context("fork")
    count = 6
    barrier, results = context.Barrier(count), context.Queue()
    processes = [
        context.Process(
            target=_start_and_report, args=(str(tmp_path / "instance"), barrier, results)
        )
        for _ in range(count)
    ]
    for process in processes:
        process.start()
    seen = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert all(keys == seen[0] for keys in seen)
    folder = keys_folder(str(tmp_path / "instance"))
    assert {name: (folder / name).read_text().strip() for name in KEY_VARIABLES} == seen[0]
    assert sorted(p.name for p in folder.iterdir()) == sorted(KEY_VARIABLES)


def test_a_database_older_than_generated_keys_stays_readable(clean_env, tmp_path, capsys):
    # A database made before keys were generated was encrypted with the published ones: the
    # upgraded instance starts, writes with a new data key, and still reads the old data.
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "ngo.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    app = create_app()
    folder = keys_folder(str(instance))
    data_keys = (folder / "NGO_DATA_KEYS").read_text().strip().split(",")
    assert len(data_keys) == 2
    assert data_keys[1] == "bmdvLWRldmVsb3BtZW50LWRhdGEta2V5LXB1YmxpYyE="
    assert data_keys[0] != data_keys[1]
    assert app.config["NGO_DATA_KEYS"].split(",") == data_keys
    assert (folder / "NGO_INDEX_KEY").read_text().strip() == (
        "development-blind-index-key-not-for-production"
    )
    assert (folder / "SECRET_KEY").read_text().strip() != PUBLISHED_SECRET_KEY
    assert "rotate-data-key" in capsys.readouterr().err


def test_an_emptied_key_file_is_refused_not_replaced(clean_env, tmp_path):
    create_app()
    key_file = keys_folder(str(tmp_path / "instance")) / "NGO_DATA_KEYS"
    key_file.write_text("")
    with pytest.raises(ConfigurationError, match="is empty"):
        create_app()


# A cookie forged with the once published development key --------------------------------------


@pytest.fixture
def app_config() -> dict[str, object]:
    # As if SECRET_KEY were unset: the app falls back to its generated key file.
    return {"SECRET_KEY": ""}


def _resigned(cookie: str, real: Flask, secret_key: str) -> str:
    """The session in `cookie`, signed again with `secret_key`: what a forger would send."""
    data = SecureCookieSessionInterface().get_signing_serializer(real).loads(cookie)
    forger = Flask("forger")
    forger.secret_key = secret_key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(data)


def test_a_cookie_forged_with_the_published_development_key_reads_nothing(app, client):
    assert app.config["SECRET_KEY"] != PUBLISHED_SECRET_KEY
    generated = keys_folder(app.instance_path) / "SECRET_KEY"
    assert app.config["SECRET_KEY"] == generated.read_text().strip()
    organisation = factories.OrganisationFactory()
    caseworker = factories.UserFactory(role="caseworker", organisation=organisation)
    case = factories.BeneficiaryFactory(
        organisation=organisation, legal_name="Аляксандр Кавалёў", public_name="Alexander"
    )
    login(client, caseworker)
    page = f"/cases/{case.reference}"
    assert "Кавалёў" in client.get(page).get_data(as_text=True)
    cookie = client.get_cookie("session").value

    def visit_with(session_cookie: str):
        stranger = IsolatedClient(app)
        stranger.set_cookie("session", session_cookie)
        return stranger.get(page)

    # The forging works: signed with the app's own key, the copied session reads the profile.
    assert visit_with(_resigned(cookie, app, app.config["SECRET_KEY"])).status_code == 200
    forged = visit_with(_resigned(cookie, app, PUBLISHED_SECRET_KEY))
    assert forged.status_code == 302
    assert "/login" in forged.headers["Location"]
    assert "Кавалёў" not in forged.get_data(as_text=True)


# File modes on a fresh instance -----------------------------------------------------------------

_MAKE_EVERY_FILE = """
import json, os, secrets, sys
from pathlib import Path
from celery.beat import PersistentScheduler
from flask_migrate import upgrade
from ngo import create_app
from ngo.cases.evidence import _write_encrypted
from ngo.extensions import db
from ngo.mail import send_mail

instance = Path(os.environ["NGO_INSTANCE_PATH"])
app = create_app({"CELERY_TASK_ALWAYS_EAGER": True})
with app.app_context():
    upgrade()                                            # database
    with db.engine.connect() as connection:              # keeps -wal and -shm while we look
        connection.exec_driver_sql("SELECT count(*) FROM audit_events").all()
        send_mail("someone@example.org", "Subject", "Body")  # outbox .eml
        _write_encrypted(secrets.token_hex(16), b"evidence")  # encrypted evidence file
        celery = app.extensions["celery"]
        with celery.connection_for_write() as broker:    # the broker's SQLite file
            broker.default_channel.session.commit()
        scheduler = PersistentScheduler(
            app=celery, schedule_filename=str(instance / "celerybeat-schedule")
        )
        scheduler.sync()
        scheduler.close()
        modes = {
            str(path.relative_to(instance)): oct(path.stat().st_mode & 0o777)
            for path in [instance, *instance.rglob("*")]
        }
print(json.dumps(modes))
"""


def test_a_fresh_instance_holds_only_owner_only_files_and_folders(tmp_path):
    instance = tmp_path / "fresh-instance"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in (*KEY_VARIABLES, "NGO_ENV", "DATABASE_URL", "CELERY_BROKER_URL", "MAIL_URL")
    }
    env.update(NGO_INSTANCE_PATH=str(instance), NGO_FILES_PATH=str(instance / "files"))
    result = subprocess.run(
        [sys.executable, "-c", _MAKE_EVERY_FILE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        # A permissive umask, as a shell usually has: the app must not depend on it.
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    modes = json.loads(result.stdout.strip().splitlines()[-1])
    expected_files = {
        "ngo.sqlite",
        "ngo.sqlite-wal",
        "ngo.sqlite-shm",
        "broker.sqlite",
        *(f"keys/{name}" for name in KEY_VARIABLES),
    }
    assert expected_files <= set(modes), sorted(modes)
    assert any(name.startswith("outbox/") and name.endswith(".eml") for name in modes)
    assert any(name.startswith("celerybeat-schedule") for name in modes)
    assert sum(1 for name in modes if name.split("/")[0] == "files") == 3  # root, shard, file
    for name, mode in modes.items():
        is_folder = (instance / name).is_dir() if (instance / name).exists() else False
        assert mode == ("0o700" if is_folder or name == "." else "0o600"), (name, mode)
