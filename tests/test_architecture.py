"""The shape of the code: DESIGN.md's import directions, no import cycle, explicit wiring."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest
from importlinter import cli as importlinter_cli

from tests.conftest import TEST_KEYS

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = {
    "accounts",
    "cases",
    "campaigns",
    "donations",
    "public",
    "api",
    "reports",
    "dashboard",
    "demo",
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("ngo", cache_dir=None)


def _lint(config: Path) -> int:
    # The CLI's own entry: it configures import-linter first (called bare, the use case fails
    # on its missing settings and answers False, which once read as a pass). Debug mode lets
    # an error raise instead of reading as a broken contract.
    return importlinter_cli.lint_imports(
        config_filename=str(config), no_cache=True, is_debug_mode=True
    )


def test_the_import_contracts_of_pyproject_hold(capsys):
    """Layers (demo > dashboard > reports > donations > api > public > campaigns > cases >
    accounts), core modules import no domain, public and api no case, no domain imports
    another's views, ngo never imports worker, no circle between sibling packages."""
    status = _lint(ROOT / "pyproject.toml")
    assert status == importlinter_cli.EXIT_STATUS_SUCCESS, capsys.readouterr().out


def test_a_broken_contract_fails_the_lint(tmp_path, capsys, monkeypatch):
    """The check above can fail: a contract that main breaks (campaigns uses extensions)."""
    monkeypatch.chdir(ROOT)
    config = tmp_path / "broken.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "ngo"\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "campaigns may not use extensions (false, on purpose)"\n'
        'type = "forbidden"\nsource_modules = ["ngo.campaigns"]\n'
        'forbidden_modules = ["ngo.extensions"]\n',
        encoding="utf-8",
    )
    assert _lint(config) == importlinter_cli.EXIT_STATUS_ERROR
    assert "BROKEN" in capsys.readouterr().out


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_of_ngo_is_part_of_an_import_cycle(graph):
    # Imports inside functions count too: a cycle hidden in a function is still a cycle.
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    graph.add_import(importer="ngo.money", imported="ngo.config")
    graph.add_import(importer="ngo.config", imported="ngo.rules")
    graph.add_import(importer="ngo.rules", imported="ngo.money")
    graph.add_import(importer="ngo.rules", imported="ngo.timeutil")
    assert _cycles(graph) == [["ngo.config", "ngo.money", "ngo.rules"]]


def test_every_top_level_module_is_a_domain_or_named_in_the_core_contract(graph):
    """So that a new module cannot slip past the contracts: a domain package, or a core
    module listed in pyproject's "core" contract (which imports no domain)."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    core = set(contracts["core"]["source_modules"])
    assert set(contracts["core"]["forbidden_modules"]) == {f"ngo.{d}" for d in DOMAINS}
    top_level = {m for m in graph.find_children("ngo")}
    assert top_level - core - {f"ngo.{d}" for d in DOMAINS} == set()
    assert core <= top_level  # no stale names


def test_importing_ngo_registers_nothing_until_create_app(tmp_path):
    """Session hooks, the SQLite pragmas, the search index DDL, signal receivers and outbox
    handlers are registered by create_app, not as a side effect of an import (checked in a
    fresh interpreter that imports every module first)."""
    script = f"KEYS = {TEST_KEYS!r}\n" + textwrap.dedent(
        """
        import importlib, pkgutil
        import ngo
        for info in pkgutil.walk_packages(ngo.__path__, "ngo."):
            importlib.import_module(info.name)
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
        from sqlalchemy.orm import Session
        from ngo import signals
        from ngo.campaigns import search
        from ngo.campaigns.models import AppealSearchDocument

        def state():
            hooks = sorted(
                f"{fn.__module__}.{fn.__name__}"
                for name in ("after_flush", "before_commit", "after_commit", "after_rollback",
                             "after_transaction_end")
                for fn in getattr(Session.dispatch, name)._clslevel.get(Session, ())
                if fn.__module__.startswith("ngo")
            )
            return (
                hooks,
                event.contains(Engine, "connect", ngo._sqlite_pragmas),
                event.contains(AppealSearchDocument.__table__, "after_create",
                               search._after_create),
                sorted(s.name for s in signals.ALL if s.receivers),
            )

        print(state())
        app = ngo.create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", **KEYS})
        print(state())
        print(sorted(app.extensions["ngo.outbox_handlers"]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            "NGO_ENV": "development",
            "NGO_INSTANCE_PATH": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    before, after, handlers = result.stdout.strip().splitlines()[-3:]
    assert before == "([], False, False, [])"
    assert "ngo.campaigns.visibility._refresh_before_commit" in after
    assert "ngo.cases.changes.announce_changes" in after
    assert "ngo.outbox.enqueueing.dispatch_after_commit" in after
    assert ", True, True, [" in after
    assert "'case-erased'" in after and "'consent-withdrawn'" in after
    assert "'campaigns.update_email'" in handlers and "'accounts.invitation_email'" in handlers
