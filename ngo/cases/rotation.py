"""Data-key rotation: re-encrypt every encrypted column and evidence file with the newest key.

Procedure: put the new key first in NGO_DATA_KEYS (keeping the old ones after it), restart
every process, run `flask --app ngo rotate-data-key`, then drop the old keys. Web processes
already write with the new key while this runs, so it only has to catch up on old values.

Safe to interrupt: each batch commits, and a value that the newest key alone decrypts is
skipped, so a second run continues where the first stopped. Values are read and written raw
(ciphertext bytes, bypassing EncryptedText), and an update only lands if the row still holds
the ciphertext that was read: a value changed meanwhile by the application is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import Column, LargeBinary, Table, bindparam, func, select, type_coerce, update

from ngo import audit
from ngo.crypto import EncryptedBytes, EncryptedText, keyring
from ngo.extensions import db
from ngo.unit_of_work import transaction

DEFAULT_BATCH_SIZE = 500
PARTIAL_SUFFIX = ".part"


@dataclass
class TableResult:
    table: str
    rows: int = 0
    rotated: int = 0
    current: int = 0
    # Row ids holding a value no configured key decrypts: reported, never changed.
    unreadable: list[Any] = field(default_factory=list)


@dataclass
class FileResult:
    rotated: int = 0
    current: int = 0
    unreadable: list[str] = field(default_factory=list)


@dataclass
class RotationReport:
    tables: list[TableResult] = field(default_factory=list)
    files: FileResult = field(default_factory=FileResult)

    @property
    def values_rotated(self) -> int:
        return sum(t.rotated for t in self.tables)

    @property
    def values_current(self) -> int:
        return sum(t.current for t in self.tables)

    @property
    def unreadable(self) -> int:
        return sum(len(t.unreadable) for t in self.tables) + len(self.files.unreadable)

    def counts(self) -> dict[str, int]:
        return {
            "tables": len(self.tables),
            "values_rotated": self.values_rotated,
            "values_current": self.values_current,
            "files_rotated": self.files.rotated,
            "files_current": self.files.current,
            "unreadable": self.unreadable,
        }


Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def newest_key() -> Fernet:
    keys = [k.strip() for k in str(current_app.config["NGO_DATA_KEYS"]).split(",") if k.strip()]
    keyring()  # the same checks and error message as everywhere else
    return Fernet(keys[0].encode())


def encrypted_tables() -> list[tuple[Table, list[Column[Any]]]]:
    """Every table with encrypted columns, found in the schema so none is forgotten."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText | EncryptedBytes)]
        if columns:
            found.append((table, columns))
    return found


def _rotated(token: bytes, newest: Fernet) -> bytes | None:
    """The token re-encrypted with the newest key, or None if that key already reads it."""
    try:
        newest.decrypt(token)
    except InvalidToken:
        return keyring().rotate(token)  # InvalidToken again if no key reads it
    return None


def rotate_table(
    table: Table,
    columns: list[Column[Any]],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress = _quiet,
) -> TableResult:
    (pk,) = table.primary_key.columns  # every table here has a single-column key
    newest = newest_key()
    result = TableResult(table.name)
    total = db.session.scalar(select(func.count()).select_from(table)) or 0
    # type_coerce to LargeBinary: the raw ciphertext, without EncryptedText decrypting it.
    raw = [type_coerce(c, LargeBinary).label(c.name) for c in columns]
    last = None
    while True:
        stmt = select(pk, *raw).order_by(pk).limit(batch_size)
        if last is not None:
            stmt = stmt.where(pk > last)
        rows = db.session.execute(stmt).all()
        if not rows:
            break
        changes: dict[str, list[dict[str, Any]]] = {c.name: [] for c in columns}
        for row in rows:
            unreadable = False
            for column in columns:
                value = row._mapping[column.name]
                if value is None:
                    continue
                try:
                    new = _rotated(bytes(value), newest)
                except InvalidToken:
                    unreadable = True
                    continue
                if new is None:
                    result.current += 1
                else:
                    changes[column.name].append({"_id": row[0], "_old": value, "_new": new})
                    result.rotated += 1
            if unreadable:
                result.unreadable.append(row[0])
        with transaction():  # one commit per batch, so that an interrupted run keeps its work
            for column in columns:
                if changes[column.name]:
                    db.session.execute(_guarded_update(table, pk, column), changes[column.name])
        result.rows += len(rows)
        last = rows[-1][0]
        progress(f"{table.name}: {result.rows}/{total} rows")
    return result


def _guarded_update(table: Table, pk: Column[Any], column: Column[Any]) -> Any:
    # Bound as LargeBinary so that EncryptedText does not encrypt the ciphertext again.
    return (
        update(table)
        .where(pk == bindparam("_id"))
        .where(type_coerce(column, LargeBinary) == type_coerce(bindparam("_old"), LargeBinary))
        .values({column.name: type_coerce(bindparam("_new"), LargeBinary)})
    )


def _evidence_files(root: Path) -> Iterator[Path]:
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.endswith(PARTIAL_SUFFIX):
            yield path


def rotate_files(progress: Progress = _quiet) -> FileResult:
    """Every file under NGO_FILES_PATH, including any no row points to any more: a file left
    on the old key would become unreadable garbage once that key is dropped."""
    from ngo.cases.evidence import files_root

    newest = newest_key()
    result = FileResult()
    for count, path in enumerate(_evidence_files(files_root()), start=1):
        try:
            new = _rotated(path.read_bytes(), newest)
        except InvalidToken:
            result.unreadable.append(path.name)
            continue
        except FileNotFoundError:
            continue  # destroyed meanwhile
        if new is None:
            result.current += 1
        elif _replace_file(path, new):
            result.rotated += 1
        if count % 100 == 0:
            progress(f"files: {count}")
    progress(f"files: {result.rotated + result.current} checked")
    return result


def _replace_file(path: Path, token: bytes) -> bool:
    """Write beside the file and rename over it, so that the file is at every moment either
    the old or the new ciphertext, never a mix."""
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(token)
            handle.flush()
            os.fsync(handle.fileno())
        if not path.exists():
            # Destroyed by an erasure while we re-encrypted it: do not bring it back.
            partial.unlink(missing_ok=True)
            return False
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return True


def rotate_data_keys(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress = _quiet,
    tables: list[str] | None = None,
    files: bool = True,
) -> RotationReport:
    """Rotate all (or the named) tables and the evidence files, and audit the counts."""
    report = RotationReport()
    for table, columns in encrypted_tables():
        if tables is None or table.name in tables:
            report.tables.append(
                rotate_table(table, columns, batch_size=batch_size, progress=progress)
            )
    if files:
        report.files = rotate_files(progress)
    with transaction():
        audit.record(
            "data_keys.rotated", actor_id=None, organisation_id=None, details=report.counts()
        )
    return report
