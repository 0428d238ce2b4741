"""The application's keys: from the environment, or, outside production, generated once into
<instance>/keys/ (one file per setting, named after it; files 0600, folder 0700).

No key is published in the source code: a development instance gets random keys on its first
start and every later process (flask commands, gunicorn workers, the Celery worker and beat)
reads the same files. Production never falls back to these files.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import tempfile
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ngo.chain import ChainKeyError, load_signing_key
from ngo.config import ConfigurationError

_RANDOM_STRING = 'a random string of at least 32 characters, e.g. python3 -c "import secrets; print(secrets.token_urlsafe(48))"'  # noqa: E501

HOW_TO_GENERATE = {
    "SECRET_KEY": _RANDOM_STRING,
    "NGO_DATA_KEYS": "one or more Fernet keys, comma-separated, newest first, e.g. python3 -c "
    '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"',
    "NGO_INDEX_KEY": _RANDOM_STRING,
    "NGO_AUDIT_KEY": _RANDOM_STRING,
    "NGO_AUDIT_SIGNING_KEY": "an Ed25519 private key, the base64 of 32 random bytes, e.g. "
    'python3 -c "import secrets; print(secrets.token_urlsafe(32))" (a PEM block also works)',
}

GENERATORS: dict[str, Callable[[], str]] = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(48),
    "NGO_DATA_KEYS": lambda: Fernet.generate_key().decode("ascii"),
    "NGO_INDEX_KEY": lambda: secrets.token_urlsafe(48),
    "NGO_AUDIT_KEY": lambda: secrets.token_urlsafe(48),
    # Any 32 random bytes are an Ed25519 private key.
    "NGO_AUDIT_SIGNING_KEY": lambda: secrets.token_urlsafe(32),
}

# A new key next to an existing database would leave its personal data unreadable (data keys)
# or its names unsearchable (index key). The audit key is not here: a database made before the
# chain was keyed gets its first key from the migration that keys it.
_DATA_BOUND = ("NGO_DATA_KEYS", "NGO_INDEX_KEY")


def keys_folder(instance_path: str) -> Path:
    return Path(instance_path) / "keys"


def resolve_keys(config: MutableMapping[str, Any], instance_path: str) -> None:
    """Fill in every key the environment (or the caller's overrides) left empty, and check that
    each one can be used. Raises ConfigurationError naming the variable."""
    production = config.get("NGO_ENV") == "production"
    for name, generate in GENERATORS.items():
        value = str(config.get(name) or "").strip()
        if not value:
            if production:
                raise ConfigurationError(
                    f"NGO_ENV=production needs {name}: set it to {HOW_TO_GENERATE[name]}. "
                    "Keys generated into the instance folder are for development only."
                )
            value = _read_or_create(
                keys_folder(instance_path) / name, _generator_for(name, generate, config)
            )
        config[name] = value
        _check_format(name, value)


def _check_format(name: str, value: str) -> None:
    if name == "NGO_DATA_KEYS":
        keys = [k.strip() for k in value.split(",") if k.strip()]
        try:
            for key in keys:
                Fernet(key.encode("ascii"))
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "NGO_DATA_KEYS holds a value that is not a Fernet key: set it to "
                + HOW_TO_GENERATE[name]
            ) from exc
    elif name == "NGO_AUDIT_SIGNING_KEY":
        try:
            load_signing_key(value, name)
        except ChainKeyError as exc:
            raise ConfigurationError(f"{exc} Set it to {HOW_TO_GENERATE[name]}.") from exc


# The values published in the source code before keys were generated: a development database
# made then can only be read with them. Production refuses them (config.check_production_safety).
_PUBLISHED_DATA_KEY = "bmdvLWRldmVsb3BtZW50LWRhdGEta2V5LXB1YmxpYyE="
_PUBLISHED_INDEX_KEY = "development-blind-index-key-not-for-production"


def _generator_for(
    name: str, generate: Callable[[], str], config: MutableMapping[str, Any]
) -> Callable[[], str]:
    """How to make the key file of `name`. Beside a development database that already holds
    data, a fresh data or index key would leave that data unreadable or its names unsearchable:
    such a database was made with the keys once published in the source, so the data key file
    gets a new key first (new writes use it; `flask --app ngo rotate-data-key` re-encrypts the
    rest) and the published one after it, and the index key file the published index key."""
    database = _sqlite_file(str(config.get("SQLALCHEMY_DATABASE_URI") or ""))
    if name not in _DATA_BOUND or database is None or database.stat().st_size == 0:
        return generate

    def adopt_published() -> str:
        # An operator must see this on start, before logging is set up.
        print(
            f"ngo: {database} predates generated keys; {name} keeps the development key once "
            "published in the source so that its data stays readable. Run `flask --app ngo "
            "rotate-data-key` to re-encrypt it, or remove the database to start afresh.",
            file=sys.stderr,
        )
        if name == "NGO_DATA_KEYS":
            return f"{generate()},{_PUBLISHED_DATA_KEY}"
        return _PUBLISHED_INDEX_KEY

    return adopt_published


def _sqlite_file(url: str) -> Path | None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    path = Path(parsed.database)
    return path if path.is_file() else None


def _read(path: Path) -> str:
    value = path.read_text(encoding="ascii").strip()
    if not value:
        raise ConfigurationError(
            f"{path} is empty. Restore it from a backup, or set {path.name} in the environment."
        )
    return value


def _read_or_create(path: Path, generate: Callable[[], str]) -> str:
    """The key in `path`, written first if there is none. Processes starting at the same moment
    all end up with the one key that was linked into place first."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp opens with O_EXCL and mode 0600. The complete file is then hard-linked to its
    # name, which, like O_EXCL, fails if the name exists; unlike O_EXCL on the final name, no
    # other process can ever read it half-written.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(generate() + "\n")
            file.flush()
            os.fsync(file.fileno())
        # If another process was first, its key is the one everybody uses.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return _read(path)
