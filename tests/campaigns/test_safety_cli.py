"""`flask --app ngo safety check` and `safety rescan`, run through the real CLI against the seed
appeal: the issue's first paragraph, file by file, and a rescan after the rules improved."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ngo.audit import AuditEvent
from ngo.campaigns import safety
from ngo.campaigns.models import AppealSearchDocument, AppealUpdate
from ngo.cases import consent
from ngo.cases.models import ConsentAudience, ConsentItem, ConsentMethod
from ngo.demo.cases import CONTENT
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests.campaigns import appeal_fixtures
from tests.campaigns.appeal_fixtures import draft_appeal

alexander, other_organisation_appeal, published, sample_documents_once, staff = (
    appeal_fixtures.alexander,
    appeal_fixtures.other_organisation_appeal,
    appeal_fixtures.published,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
)

# Every trick of the issue's first paragraph, as a caseworker would write it in an update.
SURNAME, CITY, PHONE, EMAIL = safety.LEGAL_SURNAME, safety.CITY, safety.PHONE, safety.EMAIL
FIRST_PARAGRAPH = {
    "locative.md": ("Od marca mieszkamy w Białymstoku.", CITY, "Białymstoku"),
    "surname.md": ("Rodzina Kava**liou** dziękuje.", SURNAME, "Kava**liou"),
    "phone.md": ("Dzwońcie: 600**100**200.", PHONE, "600**100**200"),
    "email.md": ("Pisz: alexander.k&#64;example.net", EMAIL, "&#64;example.net"),
    "zero-width.md": ("Rodzina Kava\u200bliou dziękuje.", SURNAME, "Kava"),
    "spaced.md": ("Rodzina K a v a l i o u dziękuje.", SURNAME, "K a v a"),
    "greek.md": ("Rodzina \u039aavaliou dziękuje.", SURNAME, "\u039aavaliou"),
    "full-width.md": ("Dzwońcie: ６００ １００ ２００.", PHONE, "６００"),
}


def _check(app, slug: str, *files: Path | str):
    return app.test_cli_runner().invoke(
        args=["safety", "check", "--appeal", slug, *[str(f) for f in files]]
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def seed_appeal(alexander, staff):
    appeal = draft_appeal(alexander, staff)
    db.session.commit()
    return appeal


@pytest.mark.parametrize("name", list(FIRST_PARAGRAPH))
def test_each_trick_of_the_issue_is_caught_against_the_seed_appeal(
    app, seed_appeal, tmp_path, name
):
    text, kind, shown = FIRST_PARAGRAPH[name]
    path = _write(tmp_path, name, text)
    result = _check(app, seed_appeal.slug, path)
    assert result.exit_code == 1, result.output
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{path}: text, {safety.describe(kind)}, ")
    # The context marks the match in the text as written.
    context = line.split(", ", 2)[2]
    assert "[[" in context and "]]" in context
    assert shown in context


def test_one_line_per_finding_over_several_files(app, seed_appeal, tmp_path):
    both = _write(tmp_path, "both.md", "Kavaliou lives in Bialystok.")
    clean = _write(tmp_path, "clean.md", "The family thanks every donor.")
    result = _check(app, seed_appeal.slug, both, clean)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{both}: text, {safety.describe(SURNAME)}, [[Kavaliou]] lives in Bialystok.",
        f"{both}: text, {safety.describe(CITY)}, Kavaliou lives in [[Bialystok]].",
    ]


def test_the_seed_story_passes(app, seed_appeal, tmp_path):
    story = CONTENT / "alexander_story.md"
    result = _check(app, seed_appeal.slug, story)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "No private information found." in result.stderr


def test_the_case_consents_are_applied(app, seed_appeal, alexander, staff, tmp_path):
    path = _write(tmp_path, "city.md", "Since March we have lived in Białystok.")
    assert _check(app, seed_appeal.slug, path).exit_code == 1
    # The seed case consents to family details: household names may be shown.
    household = _write(tmp_path, "family.md", "Volha and Mikita say thank you.")
    assert _check(app, seed_appeal.slug, household).exit_code == 0

    def consent_to_city(audience: ConsentAudience) -> None:
        consent.record_consent(
            alexander,
            items=[ConsentItem.CITY],
            audiences=[audience],
            given_on=date.today(),
            expires_on=None,
            method=ConsentMethod.VERBAL_WITNESSED,
            witness_name="Volunteer",
            form_evidence_id=None,
            actor=staff["caseworker"],
        )
        db.session.commit()

    # A consent for donor e-mails does not open the public page.
    consent_to_city(ConsentAudience.DONOR_EMAILS)
    assert _check(app, seed_appeal.slug, path).exit_code == 1
    consent_to_city(ConsentAudience.PUBLIC_PAGE)
    assert _check(app, seed_appeal.slug, path).exit_code == 0


def test_an_unknown_slug_is_a_usage_error(app, seed_appeal, tmp_path):
    path = _write(tmp_path, "a.md", "Kavaliou")
    result = _check(app, "no-such-appeal", path)
    assert result.exit_code == 2
    assert "No appeal has the slug 'no-such-appeal'" in result.output
    assert "Kavaliou" not in result.output


@pytest.mark.parametrize("problem", ["missing", "directory", "not-utf8"])
def test_an_unreadable_file_is_a_usage_error_and_nothing_is_scanned(
    app, seed_appeal, tmp_path, problem
):
    leak = _write(tmp_path, "leak.md", "Kavaliou")
    bad = tmp_path / "bad.md"
    if problem == "directory":
        bad.mkdir()
    elif problem == "not-utf8":
        bad.write_bytes("Kavaliou, Białystok".encode("cp1250"))
    result = _check(app, seed_appeal.slug, leak, bad)
    assert result.exit_code == 2, result.output
    assert "bad.md" in result.output
    assert "[[" not in result.output  # the readable file was not reported either


def test_an_erased_case_cannot_be_checked_against(app, seed_appeal, alexander, tmp_path):
    alexander.erased_at = utcnow()
    db.session.commit()
    result = _check(app, seed_appeal.slug, _write(tmp_path, "a.md", "Kavaliou"))
    assert result.exit_code == 2
    assert "erased" in result.output


def test_files_are_required(app, seed_appeal):
    result = app.test_cli_runner().invoke(args=["safety", "check", "--appeal", seed_appeal.slug])
    assert result.exit_code == 2


# Rescan ------------------------------------------------------------------------------------------


def _post_unchecked(monkeypatch, appeal, body: str) -> AppealUpdate:
    """An update that the rules of its day let through: the check finds nothing while it is
    stored, as an older, weaker check would have."""
    with monkeypatch.context() as patched:
        patched.setattr(safety, "scan_texts", lambda texts, private: [])
        update = AppealUpdate(
            appeal_id=appeal.id,
            language="pl",
            title="Nowości",
            body_markdown=body,
            state="published",
            posted_at=utcnow(),
        )
        db.session.add(update)
        db.session.commit()
    db.session.refresh(appeal)
    assert appeal.listed
    return update


def _rescan(app):
    commits = []

    def count(_session):
        commits.append(1)

    event.listen(Session, "after_commit", count)
    try:
        result = app.test_cli_runner().invoke(args=["safety", "rescan"])
    finally:
        event.remove(Session, "after_commit", count)
    return result, len(commits)


def test_rescan_unlists_what_now_fails_and_prints_no_private_value(
    app, monkeypatch, published, other_organisation_appeal
):
    _post_unchecked(monkeypatch, published, "We live in Białystok now, call 600 100 200.")
    clean = AppealUpdate(
        appeal_id=other_organisation_appeal.id,
        language="en",
        title="News",
        body_markdown="Thanks!",
        state="published",
        posted_at=utcnow(),
    )
    db.session.add(clean)
    db.session.commit()

    result, commits = _rescan(app)

    assert result.exit_code == 0, result.output
    assert commits == 1
    lines = result.output.splitlines()
    assert lines[0] == "Checked 2 listed appeal(s) and 2 published update(s)."
    assert lines[1:] == [
        "Unlisted 1 appeal(s) that no longer pass:",
        f"  {published.slug}: {safety.describe(CITY)}; {safety.describe(PHONE)}",
    ]
    for private in ("Biał", "600", "[["):
        assert private not in result.output
    db.session.refresh(published)
    db.session.refresh(other_organisation_appeal)
    assert not published.listed
    assert other_organisation_appeal.listed
    # Through the normal listing mechanism: its search document went with it.
    assert db.session.get(AppealSearchDocument, published.id) is None
    assert db.session.get(AppealSearchDocument, other_organisation_appeal.id) is not None
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "appeal.unlisted_by_rescan")
    ).one()
    assert audit.object_id == str(published.id)
    assert audit.details == {"kinds": ["city", "phone"], "other_problems": 0}


def test_rescan_with_nothing_to_unlist(app, published):
    result, _commits = _rescan(app)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "Checked 1 listed appeal(s) and 0 published update(s).",
        "Every appeal still passes: none was unlisted.",
    ]
    db.session.refresh(published)
    assert published.listed


def test_a_withdrawn_update_is_not_public_and_not_rescanned(app, monkeypatch, published):
    update = _post_unchecked(monkeypatch, published, "We live in Białystok now.")
    update.withdrawn_at = update.posted_at
    db.session.commit()
    result, _ = _rescan(app)
    assert result.output.splitlines()[0] == "Checked 1 listed appeal(s) and 0 published update(s)."
    db.session.refresh(published)
    assert published.listed
