"""The publication safety check run by an operator: on a text before it is posted, and again
over everything already public after the check's rules have improved.

Nothing here writes the listing by hand: an appeal leaves the public site because the gate
(`services.publication_problems`, through `visibility.refresh_public_state`) now refuses it,
exactly as after any other change, so the next reconciliation agrees with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ngo import audit
from ngo.campaigns import safety, services, visibility
from ngo.campaigns.models import Appeal, AppealUpdate
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.extensions import db

SLUG_MAX = 24


def appeal_by_slug(slug: str) -> Appeal | None:
    slug = slug.strip()
    if not slug or len(slug) > SLUG_MAX:
        return None
    return db.session.scalars(select(Appeal).where(Appeal.slug == slug)).first()


def private_values_for(appeal: Appeal) -> list[safety.PrivateValue] | None:
    """What the appeal's public texts may not show, with the person's public-page consents
    applied as the gate applies them; None once the case is erased (nothing left to compare)."""
    beneficiary = db.session.get(Beneficiary, appeal.beneficiary_id)
    if beneficiary is None or beneficiary.erased_at is not None:
        return None
    consented = consented_items(beneficiary.id, ConsentAudience.PUBLIC_PAGE)
    return safety.private_values_of(beneficiary, consented)


@dataclass(frozen=True)
class Unlisted:
    """An appeal the gate now refuses: the kinds of its safety findings and the gate's other
    messages (an expired verification, a withdrawn consent). Never a private value."""

    slug: str
    kinds: tuple[str, ...]
    other_problems: tuple[str, ...]


@dataclass
class RescanReport:
    appeals_checked: int = 0
    updates_checked: int = 0
    unlisted: list[Unlisted] = field(default_factory=list)


def rescan_public_appeals() -> RescanReport:
    """Run the gate again over every listed appeal (its public texts include its updates) and
    take down what now fails. The caller commits once, so the site changes all at once."""
    report = RescanReport()
    listed = list(db.session.scalars(select(Appeal).where(Appeal.listed.is_(True))))
    report.appeals_checked = len(listed)
    if listed:
        report.updates_checked = (
            db.session.scalar(
                select(func.count(AppealUpdate.id)).where(
                    AppealUpdate.appeal_id.in_([a.id for a in listed]),
                    AppealUpdate.shown_publicly(),
                )
            )
            or 0
        )
    for appeal in listed:
        visibility.refresh_public_state(appeal)
        if appeal.listed:
            continue
        problems = services.publication_problems(appeal)
        kinds = tuple(sorted({p.finding.kind for p in problems if p.finding is not None}))
        other = tuple(dict.fromkeys(p.message for p in problems if p.finding is None))
        report.unlisted.append(Unlisted(appeal.slug, kinds, other))
        audit.record_change(
            appeal, None, "appeal.unlisted_by_rescan", kinds=list(kinds), other_problems=len(other)
        )
    return report
