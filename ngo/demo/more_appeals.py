"""The dozen demo appeals beside the seed appeal, in every state and language, each described
in one file of `content/appeals/*.toml`: the invented person behind the appeal (private fields
included, all fictional), the evidence the verifier checked, the consents, the public texts in
each language, the budget lines and the appeal's history. Each goes through the real services:
a caseworker writes the story and drafts the appeal, a verifier verifies the story and a second
person approves the appeal (naming the digest of what they read), so every published one has
passed the publication gate; its updates are drafted by the caseworker and approved by a second
person too. Only what those services do not offer yet is set directly afterwards, as history:
dates back in time, budget-line translations, and funded and closed states. Gifts and payments
out go through the donations services (demo.gifts, demo.spending).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from ngo.accounts.models import Organisation, Role, User
from ngo.campaigns import services, updates, visibility
from ngo.campaigns.models import (
    Appeal,
    AppealStatus,
    AppealTranslation,
    BudgetLineLabel,
    Category,
)
from ngo.cases import consent, evidence, stories, verification
from ngo.cases import services as cases
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
from ngo.demo.documents import tiny_pdf
from ngo.demo.gifts import demo_gift
from ngo.demo.spending import demo_payment
from ngo.donations.models import PaymentMethod
from ngo.extensions import db
from ngo.money import Money
from ngo.timeutil import utcnow

CONTENT = Path(__file__).parent / "content" / "appeals"


def staff_of(organisation: Organisation) -> dict[str, User]:
    return {m.role: m.user for m in organisation.memberships}


@dataclass(frozen=True)
class DemoAppeal:
    """One content/appeals/*.toml file, read as it is; see the files for the fields."""

    key: str
    data: dict[str, Any]

    @property
    def status(self) -> AppealStatus:
        return AppealStatus(self.data["status"])

    @property
    def languages(self) -> list[str]:
        return list(self.data["languages"])

    @property
    def fallback(self) -> str:
        return self.languages[0]

    @property
    def title(self) -> str:
        return str(self.data["text"][self.fallback]["title"])

    @property
    def published_days_ago(self) -> int:
        return int(self.data.get("published_days_ago", 0))


def demo_appeals() -> list[DemoAppeal]:
    return [
        DemoAppeal(path.stem, tomllib.loads(path.read_text(encoding="utf-8")))
        for path in sorted(CONTENT.glob("*.toml"))
    ]


def _exists(organisation: Organisation, spec: DemoAppeal) -> bool:
    return (
        db.session.scalar(
            select(AppealTranslation.id)
            .join(Appeal)
            .where(
                Appeal.organisation_id == organisation.id,
                AppealTranslation.language == spec.fallback,
                AppealTranslation.title == spec.title,
            )
            .limit(1)
        )
        is not None
    )


def seed_more_appeals(organisation: Organisation) -> list[Appeal]:
    """Each demo appeal that the organisation does not have yet (by its title), with its own
    case. Running it twice adds nothing."""
    staff = staff_of(organisation)
    if not {Role.CASEWORKER.value, Role.VERIFIER.value} <= staff.keys():
        return []
    created = []
    for spec in demo_appeals():
        if not _exists(organisation, spec):
            created.append(_seed_one(organisation, spec, staff))
    db.session.flush()
    return created


def _seed_one(organisation: Organisation, spec: DemoAppeal, staff: dict[str, User]) -> Appeal:
    caseworker, verifier = staff[Role.CASEWORKER.value], staff[Role.VERIFIER.value]
    approver = staff.get(spec.data.get("approver", Role.VERIFIER.value), verifier)
    # Everything before publication happened shortly before it, back in time for older appeals.
    days_before = spec.published_days_ago + int(spec.data.get("created_days_ago", 0))
    case, checked = _case(organisation, spec, caseworker, verifier, days_before)
    appeal = _draft(case, spec, caseworker, checked)
    appeal.created_at = utcnow() - timedelta(days=days_before, hours=5)
    if spec.status is AppealStatus.DRAFT:
        return appeal
    digest = services.submit_for_review(appeal, actor=caseworker)
    if spec.status is AppealStatus.IN_REVIEW:
        return appeal
    services.approve_and_publish(appeal, approver=approver, digest=digest)
    _history(appeal, spec, caseworker, approver, staff)
    db.session.flush()
    visibility.refresh_public_state(appeal)
    return appeal


def _case(
    organisation: Organisation,
    spec: DemoAppeal,
    caseworker: User,
    verifier: User,
    days_before: int,
) -> tuple[Beneficiary, dict[CheckKind, EvidenceItem]]:
    """The person's case, up to a verified story and the consents the appeal needs."""
    person = spec.data["person"]
    case = cases.create_beneficiary(
        organisation.id,
        BeneficiaryData(
            legal_name=person["legal_name"],
            public_name=person.get("public_name"),
            date_of_birth=person.get("date_of_birth"),
            nationality=person.get("nationality"),
            country_of_residence=person.get("country_of_residence"),
            city_of_residence=person.get("city_of_residence"),
            phone=person.get("phone"),
            email=person.get("email"),
            messenger=person.get("messenger"),
            legal_status=person.get("legal_status"),
            needs=person.get("needs"),
            vulnerabilities=person.get("vulnerabilities"),
            risk_level=RiskLevel(person.get("risk_level", RiskLevel.MEDIUM.value)),
            assigned_caseworker_id=caseworker.id,
        ),
        actor=caseworker,
    )
    case.created_at = utcnow() - timedelta(days=days_before + 21)
    for status in (CaseStatus.ASSESSMENT, CaseStatus.ACTIVE):
        cases.change_status(case, status, reason=None, actor=caseworker)
    for member in person.get("household", []):
        cases.add_household_member(
            case,
            relationship=member["relationship"],
            first_name=member["first_name"],
            age=member.get("age"),
            actor=caseworker,
        )
    if person.get("note"):
        cases.add_note(case, person["note"], actor=caseworker)

    checked = {
        CheckKind(check): _evidence(case, item, caseworker, verifier)
        for check, item in spec.data["evidence"].items()
    }
    _consent(case, person, caseworker, given_on=date.today() - timedelta(days=days_before + 7))

    text = spec.data["text"][spec.fallback]
    version = stories.start_story(
        case, title=text["title"], body=text["story"].strip(), actor=caseworker
    )
    stories.submit_for_verification(version, actor=caseworker)
    approval = verification.verify_version(
        version,
        verifier=verifier,
        approved=True,
        checks=[verification.CheckResult(kind, True, checked[kind].id, None) for kind in CheckKind],
        comments=spec.data.get("verifier_comments", "Checked against the documents on file."),
    )
    # Verified a few days before the appeal went out; valid for the usual period from then.
    decided = utcnow() - timedelta(days=days_before + 3)
    version.created_at = version.submitted_at = decided - timedelta(days=2)
    approval.decided_at = decided
    approval.expires_at = decided + timedelta(
        days=int(current_app.config["VERIFICATION_VALID_DAYS"])
    )
    return case, checked


def _evidence(
    case: Beneficiary, item: dict[str, Any], caseworker: User, verifier: User
) -> EvidenceItem:
    kind = EvidenceKind(item["kind"])
    if kind is EvidenceKind.HUMAN_RIGHTS_LISTING:
        return evidence.add_listing(
            case,
            title=item["title"],
            url=item["url"],
            listed_on=item["listed_on"],
            actor=caseworker,
        )
    uploaded = evidence.upload_evidence(
        case,
        kind=kind,
        title=item["title"],
        data=tiny_pdf(item["title"], item.get("lines", [])),
        filename=f"{kind.value}.pdf",
        actor=caseworker,
    )
    evidence.mark_checked(uploaded, actor=verifier)
    return uploaded


def _consent(case: Beneficiary, person: dict[str, Any], caseworker: User, given_on: date) -> None:
    method = ConsentMethod(person.get("consent_method", ConsentMethod.SIGNED_FORM.value))
    form_id = None
    if method is ConsentMethod.SIGNED_FORM:
        form = evidence.upload_evidence(
            case,
            kind=EvidenceKind.CONSENT_FORM,
            title="Signed consent form (sample)",
            data=tiny_pdf("Consent to publish", ["Items: " + ", ".join(person["consent"])]),
            filename="consent.pdf",
            actor=caseworker,
        )
        form_id = form.id
    expires = person.get("consent_valid_days")
    consent.record_consent(
        case,
        items=[ConsentItem(item) for item in person["consent"]],
        audiences=[ConsentAudience.PUBLIC_PAGE, ConsentAudience.DONOR_EMAILS],
        given_on=given_on,
        expires_on=given_on + timedelta(days=int(expires)) if expires else None,
        method=method,
        witness_name=person.get("consent_witness"),
        form_evidence_id=form_id,
        actor=caseworker,
    )


def _draft(
    case: Beneficiary, spec: DemoAppeal, caseworker: User, checked: dict[CheckKind, EvidenceItem]
) -> Appeal:
    """The appeal in every language, with its budget, as the caseworker leaves it for review."""
    data = spec.data
    appeal = services.create_appeal(
        case,
        currency=data["currency"],
        language=spec.fallback,
        title=spec.title,
        actor=caseworker,
    )
    appeal.country = data["country"]
    appeal.category_list = [Category(c) for c in data["categories"]]
    if "deadline_in_days" in data:
        appeal.deadline = date.today() + timedelta(days=int(data["deadline_in_days"]))
    appeal.update_interval_days = int(data.get("update_interval_days", 60))
    for language in spec.languages:
        text = data["text"][language]
        services.set_translation(
            appeal,
            language,
            title=text["title"],
            summary=text.get("summary", "").strip(),
            story_markdown=text["story"].strip(),
            display_name=text.get("display_name", ""),
            actor=caseworker,
        )
    for priority, line in enumerate(data["lines"], start=1):
        labels: dict[str, str] = line["label"]
        added = services.add_budget_line(
            appeal,
            amount=Money.parse(line["amount"], appeal.currency),
            label=labels[spec.fallback],
            language=spec.fallback,
            essential=bool(line.get("essential", True)),
            priority=priority,
            evidence_item_id=checked[CheckKind.BUDGET].id if line.get("quote") else None,
            actor=caseworker,
        )
        # The services write a line's label in one language; its translations are added here
        # while the appeal is still a draft, so the publication gate checks them too.
        for language in spec.languages[1:]:
            added.labels.append(BudgetLineLabel(language=language, label=labels[language]))
    db.session.flush()
    return appeal


def _history(
    appeal: Appeal, spec: DemoAppeal, caseworker: User, approver: User, staff: dict[str, User]
) -> None:
    """What happened after publication: updates through the real review (a caseworker
    drafts, a second person approves), then dates set back in time, since the demo shows
    appeals of all ages."""
    data = spec.data
    published = utcnow() - timedelta(days=spec.published_days_ago, hours=2)
    appeal.published_at = published
    funding = zip(appeal.budget_lines, data["lines"], strict=True)
    for line, spec_line in funding:
        funded = _minor(spec_line.get("funded", "0"), appeal.currency)
        if spec.status is AppealStatus.FUNDED:
            funded = line.amount_minor
        if funded:
            # Given by bank transfer for that line: no fee, so the line holds what was given.
            demo_gift(
                appeal,
                funded,
                line=line,
                method=PaymentMethod.BANK_TRANSFER,
                days_ago=max(spec.published_days_ago - 1, 0),
            )
        spent = _minor(spec_line.get("spent", "0"), appeal.currency)
        if spent:
            demo_payment(
                appeal,
                line,
                spent,
                recorder=staff[Role.TREASURER.value],
                approver=staff[Role.ADMIN.value],
                days_ago=max(spec.published_days_ago // 2, 0),
            )
    latest: datetime | None = None
    for news in data.get("updates", []):
        posted = utcnow() - timedelta(days=int(news["days_ago"]), hours=3)
        update = updates.draft_update(
            appeal,
            language=news.get("language", spec.fallback),
            title=news["title"],
            body_markdown=news["body"].strip(),
            actor=caseworker,
        )
        digest = updates.submit_update(update, actor=caseworker)
        updates.approve_update(update, approver=approver, digest=digest)
        update.created_at = update.submitted_at = posted - timedelta(hours=2)
        update.posted_at = posted
        latest = max(latest or posted, posted)
    appeal.last_update_at = latest
    if spec.status in (AppealStatus.FUNDED, AppealStatus.CLOSED):
        appeal.status = spec.status.value


def _minor(text: str, currency: str) -> int:
    return Money.parse(text, currency).amount_minor
