"""The container set-up points at code that exists: docker-compose.yml, Dockerfile, .env.example.

Nothing here needs Docker or a running service. Commands are resolved the way gunicorn, celery
and flask resolve them, each in a subprocess with a temporary NGO_INSTANCE_PATH so that booting
the app never touches the repository's instance folder.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
DOCKER_COMPOSE = Path("/usr/bin/docker-compose")

APP_SERVICES = ("migrate", "web", "worker", "beat")
INFRA_SERVICES = ("postgres", "redis", "mailcatcher")
INSTANCE_PATH = "/var/lib/ngo"

# Settings of the developer's shell must not leak into the subprocesses and change the result.
SCRUBBED_ENV = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "MAIL_URL",
    "MAIL_FROM",
    "RATELIMIT_STORAGE_URI",
    "NGO_BASE_URL",
    "NGO_PROXY_HOPS",
    "NGO_PORT",
    "FLASK_APP",
)


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _services() -> dict[str, dict[str, Any]]:
    return _compose()["services"]


def _argv(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def _dockerfile_cmd() -> list[str]:
    # Exec form only: the shell form would put /bin/sh, not gunicorn, on PID 1 and swallow
    # the SIGTERM that lets gunicorn shut down gracefully.
    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD ")]
    assert len(lines) == 1, "the Dockerfile needs exactly one CMD"
    command = json.loads(lines[0].removeprefix("CMD "))
    assert isinstance(command, list), "CMD must use the exec (JSON) form"
    return command


def _production_env(instance: Path) -> dict[str, str]:
    """What the containers get, minus the services: production mode with throw-away keys."""
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        NGO_ENV="production",
        NGO_INSTANCE_PATH=str(instance),
        SECRET_KEY=secrets.token_urlsafe(48),
        NGO_DATA_KEYS=Fernet.generate_key().decode(),
        NGO_INDEX_KEY=secrets.token_urlsafe(48),
        NGO_AUDIT_KEY=secrets.token_urlsafe(48),
        NGO_AUDIT_SIGNING_KEY=secrets.token_urlsafe(32),
    )
    return env


def _run_python(code: str, instance: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=_production_env(instance),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _option_value(argv: list[str], *names: str) -> str:
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name:
                return argv[index + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    raise AssertionError(f"none of {names} in {argv}")


# docker-compose.yml -----------------------------------------------------------------------


def test_compose_has_the_expected_services() -> None:
    assert set(_services()) == {*APP_SERVICES, *INFRA_SERVICES}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_are_built_from_the_dockerfile(name: str) -> None:
    service = _services()[name]
    build = service.get("build")
    assert build, f"{name} has no build"
    context = REPO / (build if isinstance(build, str) else build.get("context", "."))
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (context / dockerfile).resolve() == DOCKERFILE
    assert service.get("image"), f"{name} has no image name, so each would build its own"


@pytest.mark.parametrize("name", INFRA_SERVICES)
def test_infrastructure_services_name_an_image(name: str) -> None:
    assert _services()[name].get("image")


def test_postgres_has_a_healthcheck_the_app_waits_for() -> None:
    services = _services()
    assert services["postgres"]["healthcheck"]["test"]
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_app_services_start_after_the_migrations() -> None:
    services = _services()
    for name in ("web", "worker", "beat"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"
    assert services["migrate"]["restart"] == "no"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_production_against_compose_services(name: str) -> None:
    services = _services()
    environment = services[name]["environment"]
    assert environment["NGO_ENV"] == "production"
    assert environment["NGO_INSTANCE_PATH"] == INSTANCE_PATH
    for variable, schemes in {
        "DATABASE_URL": ("postgresql",),
        "CELERY_BROKER_URL": ("redis",),
        "RATELIMIT_STORAGE_URI": ("ngo+redis",),
        "MAIL_URL": ("smtp", "smtps"),
    }.items():
        # The ${VAR:-default} form lets operators override; the default must be a service here.
        value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(environment[variable]))
        parts = urlsplit(value)
        assert parts.scheme in schemes, f"{name}: {variable}={value}"
        assert parts.hostname in services, f"{name}: {variable} points at {parts.hostname}"
    assert any(volume.endswith(f":{INSTANCE_PATH}") for volume in services[name]["volumes"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_pass_every_required_key_from_env(name: str) -> None:
    # Production refuses to start without them and never falls back to generated key files.
    from ngo.keyfiles import GENERATORS

    environment = _services()[name]["environment"]
    example = ENV_EXAMPLE.read_text()
    for key in GENERATORS:
        assert environment.get(key) == f"${{{key}:-}}", f"{name} does not get {key}"
        assert re.search(rf"^{key}=$", example, re.MULTILINE), f".env.example lacks {key}="


def test_compose_web_runs_the_dockerfile_cmd() -> None:
    assert _argv(_services()["web"]) == _dockerfile_cmd()


# Commands resolve to code that exists --------------------------------------------------------


def test_gunicorn_app_factory_exists() -> None:
    argv = _argv(_services()["web"])
    assert argv[0] == "gunicorn"
    module_name, _, expression = argv[-1].partition(":")
    assert (module_name, expression) == ("ngo", "create_app()")
    import ngo

    assert callable(ngo.create_app)


def test_gunicorn_loads_the_app_as_it_would_in_the_container(tmp_path: Path) -> None:
    # gunicorn's own loader, so "module:factory()" syntax is checked as gunicorn reads it.
    spec = _argv(_services()["web"])[-1]
    result = _run_python(
        "import flask; from gunicorn.util import import_app; "
        f"assert isinstance(import_app({spec!r}), flask.Flask)",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_app_exists(name: str, tmp_path: Path) -> None:
    argv = _argv(_services()[name])
    assert argv[0] == "celery"
    assert argv[argv.index("-A") + 2] == name
    module_name = _option_value(argv, "-A", "--app")
    # find_app is what `celery -A` uses; worker.celery is the attribute it settles on.
    result = _run_python(
        "import celery, importlib; from celery.app.utils import find_app; "
        f"module = importlib.import_module({module_name!r}); "
        "assert isinstance(module.celery, celery.Celery); "
        f"assert find_app({module_name!r}) is module.celery",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_flask_migrate_command_exists(tmp_path: Path) -> None:
    argv = _argv(_services()["migrate"])
    assert argv[:3] == ["flask", "--app", "ngo"]
    assert argv[3:] == ["db", "upgrade"]
    env = _production_env(tmp_path)

    def flask(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "ngo", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    listing = flask("--help")
    assert listing.returncode == 0, listing.stderr[-3000:]
    commands = listing.stdout.partition("Commands:")[2]
    assert re.search(r"^\s+db\s", commands, re.MULTILINE), listing.stdout + listing.stderr
    upgrade = flask("db", "upgrade", "--help")
    assert upgrade.returncode == 0, upgrade.stderr[-3000:]
    assert not any(tmp_path.glob("*.sqlite")), "--help must not have created a database"


# Dockerfile -----------------------------------------------------------------------------------


def test_dockerfile_basics() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users, "the Dockerfile must switch to a non-root user"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert f"NGO_INSTANCE_PATH={INSTANCE_PATH}" in text
    assert re.search(r"^VOLUME .*/var/lib/ngo", text, re.MULTILINE)
    # .mo files are not committed: without this the image would show English only.
    assert "pybabel compile" in text
    assert "-d ngo/translations" in text
    assert "pip install -e" not in text
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert package in text, f"{package} (for WeasyPrint) is missing"


def test_dockerfile_cmd_serves_the_app_factory_on_port_8000() -> None:
    command = _dockerfile_cmd()
    assert command[0] == "gunicorn"
    assert command[-1] == "ngo:create_app()"
    assert _option_value(command, "--bind", "-b") == "0.0.0.0:8000"


def test_translation_catalogues_exist_for_the_image() -> None:
    catalogues = sorted(p.parent.parent.name for p in REPO.glob("ngo/translations/*/*/*.po"))
    assert catalogues == ["be", "pl", "ru", "uk"]


# .env.example ---------------------------------------------------------------------------------


def _configured_variables() -> set[str]:
    # ngo.config documents every variable in its module docstring, one per line.
    import ngo.config

    doc = ngo.config.__doc__ or ""
    return set(re.findall(r"^([A-Z][A-Z0-9_]+)\s{2,}", doc, re.MULTILINE))


def _example_variables() -> set[str]:
    text = ENV_EXAMPLE.read_text()
    assigned = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    mentioned = set(re.findall(r"^#\s+([A-Z][A-Z0-9_]+)\s", text, re.MULTILINE))
    return assigned | mentioned


def test_env_example_documents_every_setting() -> None:
    configured = _configured_variables()
    assert "SECRET_KEY" in configured, "could not read ngo.config's list of variables"
    missing = configured - _example_variables()
    assert not missing, f".env.example does not mention {sorted(missing)}"


def test_env_example_documents_every_compose_variable() -> None:
    used = set(re.findall(r"\$\{(\w+)", COMPOSE_FILE.read_text()))
    missing = used - _example_variables()
    assert not missing, f".env.example does not mention {sorted(missing)}"


def test_env_example_explains_how_to_generate_the_keys() -> None:
    text = ENV_EXAMPLE.read_text()
    assert "Fernet.generate_key()" in text
    assert "secrets.token_urlsafe" in text
    assert re.search(r"^SECRET_KEY=$", text, re.MULTILINE), "no real key in the example"
    assert re.search(r"^NGO_DATA_KEYS=$", text, re.MULTILINE), "no real key in the example"


# docker-compose itself (only where Debian's docker-compose is installed) -----------------------


@pytest.mark.skipif(not DOCKER_COMPOSE.exists(), reason="needs /usr/bin/docker-compose")
@pytest.mark.parametrize("with_env_file", [False, True], ids=["no .env", ".env from example"])
def test_docker_compose_accepts_the_file(tmp_path: Path, with_env_file: bool) -> None:
    # A copy in an empty folder: validation must not depend on a developer's own .env, and the
    # fresh clone in CI has none.
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    if with_env_file:
        shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    result = subprocess.run(
        [str(DOCKER_COMPOSE), "-f", "docker-compose.yml", "config", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
