"""Demo cases for `make run`: the seed appeal's family and a few cases at other stages.

The people here are invented around the real appeal in shared/seed-appeal.txt; surnames,
dates of birth and contacts are fictional. Evidence files are sample PDFs drawn with
WeasyPrint and marked as samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from ngo.accounts.models import Organisation, Role, User
from ngo.cases import consent, evidence, services, stories, verification
from ngo.cases.models import (
    Beneficiary,
    CaseStatus,
    CheckKind,
    ConsentAudience,
    ConsentItem,
    ConsentMethod,
    EvidenceItem,
    EvidenceKind,
    RiskLevel,
)
from ngo.cases.services import BeneficiaryData
from ngo.extensions import db
from ngo.timeutil import utcnow

CONTENT = Path(__file__).parent / "content" / "cases"
STORY_TITLE = (
    "Helping a former political prisoner and his family to survive financially "
    "until he is allowed to work"
)


def seed_story_body() -> str:
    """The seed appeal's story as the demo ships it."""
    return (CONTENT / "alexander_story.md").read_text(encoding="utf-8")


def sample_pdf(title: str, lines: list[str]) -> bytes:
    from weasyprint import HTML

    body = "".join(f"<p>{line}</p>" for line in lines)
    html = (
        "<html><body style='font-family: DejaVu Sans, sans-serif'>"
        f"<p style='color:#b3261e;font-weight:bold'>SAMPLE DOCUMENT FOR THE DEMO</p>"
        f"<h1>{title}</h1>{body}</body></html>"
    )
    return HTML(string=html).write_pdf()


def _advance(case: Beneficiary, to: CaseStatus, actor: User, reason: str | None = None) -> None:
    path = [CaseStatus.ASSESSMENT, CaseStatus.ACTIVE, CaseStatus.CLOSED]
    for status in path[: path.index(to) + 1]:
        services.change_status(case, status, reason=reason, actor=actor)


# The seed person's household: relationship, first name, age.
SEED_HOUSEHOLD = (("wife", "Volha", 41), ("son", "Mikita", 11))

# What the sample evidence shows (what it proves, its kind, title and lines), drawn as PDFs.
Draw = Callable[[str, list[str]], bytes]
_SEED_EVIDENCE = {
    CheckKind.IDENTITY: (
        EvidenceKind.IDENTITY_DOCUMENT,
        "Passport (sample)",
        ["Identity document of the beneficiary.", "Checked against the original."],
    ),
    CheckKind.PERSECUTION: (
        EvidenceKind.COURT_VERDICT,
        "Court verdict, 2 years 6 months (sample)",
        ["Criminal case related to online comments.", "Sentence: 2 years 6 months."],
    ),
    CheckKind.CURRENT_SITUATION: (
        EvidenceKind.PROTECTION_APPLICATION,
        "Receipt of the application for international protection (sample)",
        ["Office for Foreigners, Poland.", "Application registered, decision pending."],
    ),
    CheckKind.BUDGET: (
        EvidenceKind.QUOTE_OR_INVOICE,
        "Rent quote: three months and deposit (sample)",
        ["Flat for a family of three.", "Three months' rent and deposit: EUR 2,100."],
    ),
}


def seed_person_data(caseworker_id: int | None = None) -> BeneficiaryData:
    """The private data of the seed appeal's person (Alexander), as the intake form takes it."""
    return BeneficiaryData(
        legal_name="Аляксандр Кавалёў",
        public_name="Alexander",
        date_of_birth=date(1979, 4, 12),
        nationality="Belarusian",
        country_of_residence="Poland",
        city_of_residence="Białystok",
        phone="+48 600 100 200",
        email="alexander.k@example.net",
        messenger="Signal: +48 600 100 200",
        legal_status="Applicant for international protection",
        needs="Rent for three months and deposit; clothes and shoes; food and school "
        "supplies; retraining and the code 95 exam.",
        vulnerabilities="Former political prisoner; relatives still in Belarus.",
        risk_level=RiskLevel.HIGH,
        assigned_caseworker_id=caseworker_id,
    )


def _sample_document(
    case: Beneficiary,
    kind: EvidenceKind,
    title: str,
    lines: list[str],
    *,
    actor: User,
    draw: Draw | None = None,
    filename: str | None = None,
) -> EvidenceItem:
    data = (draw or sample_pdf)(title, lines)
    return evidence.upload_evidence(
        case,
        kind=kind,
        title=title,
        data=data,
        filename=filename or f"{kind.value}.pdf",
        actor=actor,
    )


def seed_person(
    org: Organisation, caseworker: User, verifier: User, *, draw: Draw | None = None
) -> Beneficiary:
    """The seed appeal's person, ready for an appeal: his private data, household, a note and
    a task, checked evidence for each check, consent to publish, and a verified story.
    `draw(title, lines)` makes each sample PDF (default: WeasyPrint's `sample_pdf`)."""
    case = services.create_beneficiary(org.id, seed_person_data(caseworker.id), actor=caseworker)
    _advance(case, CaseStatus.ACTIVE, caseworker)
    for relationship, first_name, age in SEED_HOUSEHOLD:
        services.add_household_member(
            case, relationship=relationship, first_name=first_name, age=age, actor=caseworker
        )
    services.add_note(
        case, "Intake interview at the office. Family arrived last month.", actor=caseworker
    )
    services.add_task(
        case,
        title="Book the code 95 medical examination",
        due_date=date.today() + timedelta(days=10),
        assignee_id=caseworker.id,
        actor=caseworker,
    )
    evidence_ids = {}
    for check, (kind, title, lines) in _SEED_EVIDENCE.items():
        item = _sample_document(case, kind, title, lines, actor=caseworker, draw=draw)
        evidence.mark_checked(item, actor=verifier)
        evidence_ids[check] = item.id
    _sample_document(
        case,
        EvidenceKind.RELEASE_CERTIFICATE,
        "Release certificate (sample)",
        ["Released after serving the full sentence."],
        actor=caseworker,
        draw=draw,
        filename="release.pdf",
    )
    evidence.add_listing(
        case,
        title="Listed as a political prisoner by a human-rights organisation",
        url="https://prisoners.spring96.org/en",
        listed_on=date(2021, 11, 1),
        actor=caseworker,
    )
    form = _sample_document(
        case,
        EvidenceKind.CONSENT_FORM,
        "Signed consent form (sample)",
        ["Consent to publish", "Public name, city and story may be shown."],
        actor=caseworker,
        draw=draw,
        filename="consent.pdf",
    )
    consent.record_consent(
        case,
        items=[
            ConsentItem.PUBLIC_NAME,
            ConsentItem.STORY,
            ConsentItem.IMPRISONMENT_HISTORY,
            ConsentItem.FAMILY_DETAILS,
            # for the demo cover, a drawing (demo.cover_art): a real one would be his photo
            ConsentItem.PHOTO,
        ],
        audiences=list(ConsentAudience),
        given_on=date.today() - timedelta(days=7),
        expires_on=None,
        method=ConsentMethod.SIGNED_FORM,
        witness_name=None,
        form_evidence_id=form.id,
        actor=caseworker,
    )
    version = stories.start_story(case, title=STORY_TITLE, body=seed_story_body(), actor=caseworker)
    stories.submit_for_verification(version, actor=caseworker)
    verification.verify_version(
        version,
        verifier=verifier,
        approved=True,
        checks=[
            verification.CheckResult(kind, True, evidence_ids[kind], None) for kind in CheckKind
        ],
        comments="Checked against the verdict, the protection receipt and the rent quote.",
    )
    return case


def _others(org: Organisation, caseworker: User, verifier: User) -> None:
    base = BeneficiaryData(
        legal_name="",
        nationality="Belarusian",
        country_of_residence="Lithuania",
        city_of_residence="Vilnius",
        assigned_caseworker_id=caseworker.id,
    )
    services.create_beneficiary(
        org.id,
        replace(
            base,
            legal_name="Марыя Шуляк",
            public_name="Maryia",
            needs="Legal advice on residence permit",
            risk_level=RiskLevel.MEDIUM,
        ),
        actor=caseworker,
    )
    ihar = services.create_beneficiary(
        org.id,
        replace(
            base,
            legal_name="Ігар Лабанок",
            public_name="Ihar",
            risk_level=RiskLevel.HIGH,
            country_of_residence="Poland",
            city_of_residence="Warsaw",
            needs="Medical treatment after release",
        ),
        actor=caseworker,
    )
    _advance(ihar, CaseStatus.ASSESSMENT, caseworker)
    draft = stories.start_story(
        ihar,
        title="Treatment after two years in a penal colony",
        body="Ihar was released this spring. He needs dental and cardiac treatment.",
        actor=caseworker,
    )
    stories.submit_for_verification(draft, actor=caseworker)

    tatsiana = services.create_beneficiary(
        org.id,
        replace(
            base,
            legal_name="Таццяна Гарэлік",
            public_name="Tatsiana",
            risk_level=RiskLevel.LOW,
            needs="Children's school costs",
        ),
        actor=caseworker,
    )
    _advance(tatsiana, CaseStatus.ACTIVE, caseworker)
    proof = _sample_document(
        tatsiana,
        EvidenceKind.RELEASE_CERTIFICATE,
        "Release certificate (sample)",
        ["Released after one year."],
        actor=caseworker,
        filename="release.pdf",
    )
    old = stories.start_story(
        tatsiana,
        title="A mother of two rebuilding in Vilnius",
        body="Tatsiana spent a year in prison for a protest photo.",
        actor=caseworker,
    )
    stories.submit_for_verification(old, actor=caseworker)
    approval = verification.verify_version(
        old,
        verifier=verifier,
        approved=True,
        checks=[verification.CheckResult(kind, True, proof.id, None) for kind in CheckKind],
        comments="Verified last year.",
    )
    # Verified more than a year ago: the case shows it as due for re-verification.
    approval.decided_at = utcnow() - timedelta(days=400)
    approval.expires_at = utcnow() - timedelta(days=35)

    siarhei = services.create_beneficiary(
        org.id,
        replace(
            base, legal_name="Сяргей Мельнікаў", public_name="Siarhei", risk_level=RiskLevel.MEDIUM
        ),
        actor=caseworker,
    )
    _advance(siarhei, CaseStatus.CLOSED, caseworker, reason="Found work; no longer needs help.")


def seed_cases(organisation: Organisation) -> bool:
    """Add the demo cases unless the organisation has cases already. True if it added them."""
    if db.session.scalar(
        select(Beneficiary.id).where(Beneficiary.organisation_id == organisation.id).limit(1)
    ):
        return False
    staff = {
        m.role: m.user
        for m in organisation.memberships
        if m.role in (Role.CASEWORKER, Role.VERIFIER)
    }
    caseworker, verifier = staff[Role.CASEWORKER.value], staff[Role.VERIFIER.value]
    seed_person(organisation, caseworker, verifier)
    _others(organisation, caseworker, verifier)
    db.session.flush()
    return True
