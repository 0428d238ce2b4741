"""Commands of the appeals domain: `flask --app ngo safety check|rescan`, `reconcile-listings`.

`check` prints the findings' contexts, which repeat private values: the operator gave the files
and sees them on their own terminal. `rescan` runs unattended (after a deployment that improved
the check), so it prints slugs and kinds of findings only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ngo.campaigns import rescan, safety, visibility
from ngo.unit_of_work import transaction

safety_cli = AppGroup("safety", help="The publication safety check, run by hand.")


class UsageProblem(click.ClickException):
    """Bad input: exit 2, as click does for usage errors, so that 1 always means "found"."""

    exit_code = 2


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageProblem(f"{path}: not UTF-8 text.") from exc
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot be read ({exc.strerror or exc}).") from exc


@safety_cli.command("check")
@click.option("--appeal", "slug", required=True, help="The appeal's public slug.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def check_command(slug: str, files: tuple[Path, ...]) -> None:
    """Scan each FILE as one public text against the private values of the appeal's case.

    Prints one line per finding and exits 1 if anything was found, 0 if nothing.
    """
    appeal = rescan.appeal_by_slug(slug)
    if appeal is None:
        raise UsageProblem(f"No appeal has the slug {slug!r}.")
    private = rescan.private_values_for(appeal)
    if private is None:
        raise UsageProblem("The person's data was erased: there is nothing to check against.")
    # Every file is read before anything is printed: a bad path is a usage error, not a result.
    texts = {path: _read(path) for path in files}
    found = 0
    for path, text in texts.items():
        for finding in safety.scan_texts({"text": text}, private):
            found += 1
            what = safety.describe(finding.kind)
            click.echo(f"{path}: {finding.field}, {what}, {finding.context}")
    if found:
        sys.exit(1)
    click.echo("No private information found.", err=True)


@safety_cli.command("rescan")
def rescan_command() -> None:
    """Run the publication gate again over every listed appeal and its updates; unlist what
    now fails. Run it after the check's rules improve."""
    with transaction():
        report = rescan.rescan_public_appeals()
    click.echo(
        f"Checked {report.appeals_checked} listed appeal(s) "
        f"and {report.updates_checked} published update(s)."
    )
    if not report.unlisted:
        click.echo("Every appeal still passes: none was unlisted.")
        return
    click.echo(f"Unlisted {len(report.unlisted)} appeal(s) that no longer pass:")
    for item in report.unlisted:
        reasons = [safety.describe(kind) for kind in item.kinds] + list(item.other_problems)
        click.echo(f"  {item.slug}: {'; '.join(reasons)}")


@click.command("reconcile-listings")
def reconcile_listings_command() -> None:
    """Recompute which appeals the public site lists (the worker also does it hourly), and
    rewrite the search documents that an upgrade's folding would make differently."""
    count = visibility.reconcile_listings_task()
    click.echo(f"Checked {count} appeal listing(s).")
    reindexed = visibility.reindex_search_documents()
    click.echo(f"Rewrote {reindexed} search document(s).")


def register(app: Flask) -> None:
    app.cli.add_command(safety_cli)
    app.cli.add_command(reconcile_listings_command)
