"""A landed migration is never edited: every file in migrations/versions/ has the SHA-256
recorded in migrations/landed.sha256 (tests/landed_migrations.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import landed_migrations
from tests.landed_migrations import problems, record_new, recorded

REPO = Path(__file__).resolve().parents[1]


def test_every_migration_is_the_landed_one():
    found = problems()
    assert not found, "\n".join(found)


def test_ruff_never_formats_a_migration_even_when_named():
    """`ruff format path` formats even an excluded path unless `force-exclude` is on: editors
    and hooks pass paths."""
    ruff = Path(sys.executable).parent / "ruff"
    target = next(iter(landed_migrations.migration_files().values()))
    for command in (["format", "--check"], ["check"]):
        result = subprocess.run(
            [str(ruff), *command, str(target)], cwd=REPO, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No Python files found" in result.stderr, result.stdout + result.stderr


@pytest.fixture
def landed(tmp_path):
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "aaa_first.py").write_text('revision = "aaa"\n')
    (versions / "bbb_second.py").write_text('revision = "bbb"\n')
    manifest = tmp_path / "landed.sha256"
    assert record_new(versions, manifest) == ["versions/aaa_first.py", "versions/bbb_second.py"]
    return versions, manifest


def test_recorded_migrations_pass(landed):
    assert problems(*landed) == []


def test_an_edited_migration_fails_and_says_to_add_a_new_one(landed):
    versions, manifest = landed
    (versions / "aaa_first.py").write_text("revision = 'aaa'\n")  # a reformat, same code
    assert problems(versions, manifest) == [
        "migration aaa_first has landed on main and is never edited (not even reformatted); "
        "restore it (`git checkout main -- migrations/versions/aaa_first.py`) and add a new one"
    ]


def test_a_deleted_migration_fails(landed):
    versions, manifest = landed
    (versions / "bbb_second.py").unlink()
    assert problems(versions, manifest) == [
        "migration bbb_second has landed on main and is never deleted; restore it "
        "(`git checkout main -- migrations/versions/bbb_second.py`)"
    ]


def test_a_new_migration_fails_until_recorded_and_recording_keeps_landed_lines(landed):
    versions, manifest = landed
    before = manifest.read_text()
    (versions / "ccc_third.py").write_text('revision = "ccc"\n')
    (versions / "aaa_first.py").write_text("edited\n")
    assert problems(versions, manifest)[1] == (
        "migration ccc_third is new: run `make record-migrations` and commit "
        "migrations/landed.sha256 with it"
    )
    assert record_new(versions, manifest) == ["versions/ccc_third.py"]
    assert manifest.read_text().startswith(before)  # appended, the edited one not re-recorded
    assert [p.split(" ")[0] for p in problems(versions, manifest)] == ["migration"]
    assert "aaa_first has landed" in problems(versions, manifest)[0]


def test_a_malformed_manifest_line_is_named(landed):
    _, manifest = landed
    manifest.write_text(manifest.read_text() + "not a hash  versions/x.py\n")
    with pytest.raises(ValueError, match=r"landed.sha256 line 6 is not"):
        recorded(manifest)
