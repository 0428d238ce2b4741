"""The manifest of landed migrations: the SHA-256 of every file in migrations/versions/.

A migration that has landed on main has run on databases we do not control; editing it (even a
reformat that keeps the code) makes those databases and fresh ones disagree about what that
revision is. `tests/test_migrations_landed.py` holds every file to the hash recorded here, and
`make record-migrations` (this module run as a script) appends the hashes of new files and
never changes a recorded one. The manifest reads like `sha256sum` output, so
`cd migrations && sha256sum -c landed.sha256` checks it too.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
VERSIONS = MIGRATIONS / "versions"
MANIFEST = MIGRATIONS / "landed.sha256"
HEADER = (
    "# SHA-256 of each migration that has landed on main (tests/test_migrations_landed.py).\n"
    "# Never edit a landed migration or its line here: add a new migration, then run\n"
    "# `make record-migrations` to append its line.\n"
)


def migration_files(versions: Path = VERSIONS) -> dict[str, Path]:
    """Every migration file, by its name relative to migrations/ (`versions/x.py`)."""
    return {f"versions/{path.name}": path for path in sorted(versions.glob("*.py"))}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded(manifest: Path = MANIFEST) -> dict[str, str]:
    """The recorded hashes by name. Raises ValueError naming a line that is not `hash  name`
    or a name recorded twice."""
    hashes: dict[str, str] = {}
    if not manifest.exists():
        return hashes
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        value, separator, name = line.partition("  ")
        hexadecimal = len(value) == 64 and all(c in "0123456789abcdef" for c in value)
        if not separator or not hexadecimal or not name.startswith("versions/"):
            raise ValueError(f"{manifest.name} line {number} is not `sha256  versions/name.py`")
        if name in hashes:
            raise ValueError(f"{manifest.name} line {number} records {name} a second time")
        hashes[name] = value
    return hashes


def problems(versions: Path = VERSIONS, manifest: Path = MANIFEST) -> list[str]:
    """What is wrong, one sentence each: an edited or deleted landed migration, a new one not
    yet recorded."""
    known = recorded(manifest)
    files = migration_files(versions)
    found = []
    for name, path in files.items():
        stem = path.stem
        if name not in known:
            found.append(
                f"migration {stem} is new: run `make record-migrations` and commit "
                f"migrations/{manifest.name} with it"
            )
        elif digest(path) != known[name]:
            found.append(
                f"migration {stem} has landed on main and is never edited (not even "
                f"reformatted); restore it (`git checkout main -- migrations/{name}`) and "
                f"add a new one"
            )
    for name in known.keys() - files.keys():
        found.append(
            f"migration {Path(name).stem} has landed on main and is never deleted; restore it "
            f"(`git checkout main -- migrations/{name}`)"
        )
    return found


def record_new(versions: Path = VERSIONS, manifest: Path = MANIFEST) -> list[str]:
    """Append the hash of each migration file the manifest lacks; returns their names.
    Recorded lines are never rewritten, whatever the file holds now."""
    known = recorded(manifest)
    new = {name: path for name, path in migration_files(versions).items() if name not in known}
    if not manifest.exists():
        manifest.write_text(HEADER, encoding="utf-8")
    with manifest.open("a", encoding="utf-8") as out:
        for name, path in new.items():
            out.write(f"{digest(path)}  {name}\n")
    return list(new)


def main() -> int:
    new = record_new()
    for name in new:
        print(f"recorded migrations/{name}")
    if not new:
        print(f"every migration is already recorded in migrations/{MANIFEST.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
