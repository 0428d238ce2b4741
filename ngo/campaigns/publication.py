"""The publication gate: review by a second person and publishing.

Publishing needs, all at once: a verified, unexpired story version (the one the public story
was copied from); the consents the public fields rely on, for the public page; no finding of
the publication safety check; and approval by a second staff member. `publication_problems`
is asked again whenever visibility matters, so a withdrawn consent, an expired verification or
a new finding takes an appeal off the public site at once.

Four eyes (`accounts.policy.four_eyes_refusal`): the approver is not the appeal's author, not
whoever sent it for review, and did not change it since it was last approved (every edit
records its editor). The approver names the digest of the content they read
(campaigns.review); if the appeal changed since, approval is refused and shows what changed.
Any edit of an appeal in review sends it back to draft: it must be sent for review again.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo import audit
from ngo.accounts.models import User
from ngo.accounts.policy import four_eyes_refusal
from ngo.campaigns import images, review, safety
from ngo.campaigns.appeals import VISIBLE
from ngo.campaigns.errors import AppealError
from ngo.campaigns.models import (
    Appeal,
    AppealStatus,
    AppealUpdate,
    PublicImage,
)
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience, ConsentItem
from ngo.cases.stories import current_verified_version
from ngo.extensions import db
from ngo.timeutil import utcnow


@dataclass(frozen=True)
class Problem:
    """Why an appeal may not be public. `finding` is set for safety findings, whose context
    (which holds the private value) is shown only to staff on the publication screen."""

    message: str
    finding: safety.Finding | None = None


def public_texts(appeal: Appeal) -> dict[str, str]:
    texts = {"slug": appeal.slug.replace("-", " ")}
    for t in appeal.translations:
        texts[f"{t.language}:title"] = t.title
        texts[f"{t.language}:summary"] = t.summary
        texts[f"{t.language}:story"] = t.story_markdown
        texts[f"{t.language}:display_name"] = t.display_name
    for line in appeal.budget_lines:
        for label in line.labels:
            texts[f"{label.language}:budget:{line.id}"] = f"{label.label}\n{label.description}"
    # Only what is (or would be, for the cover) public: drafts of updates are checked when
    # they are saved, sent for review and approved, and must not unlist the appeal meanwhile.
    shown = db.session.scalars(
        select(AppealUpdate).where(
            AppealUpdate.appeal_id == appeal.id, AppealUpdate.shown_publicly()
        )
    ).all()
    for update in shown:
        texts[f"update:{update.public_id}"] = f"{update.title}\n{update.body_markdown}"
    shown_images = {update.image_id for update in shown if update.image_id is not None}
    for image in db.session.scalars(select(PublicImage).where(PublicImage.appeal_id == appeal.id)):
        if image.purpose == "cover" or image.id in shown_images:
            texts[f"image:{image.token}:alt"] = image.alt_text
    return texts


def publication_problems(appeal: Appeal) -> list[Problem]:
    problems: list[Problem] = []
    beneficiary = db.session.get(Beneficiary, appeal.beneficiary_id)
    if beneficiary is None or beneficiary.erased_at is not None:
        return [Problem(str(_l("The person's data was erased.")))]
    verified = current_verified_version(beneficiary)
    if verified is None or verified.id != appeal.story_version_id:
        problems.append(
            Problem(
                str(
                    _l(
                        "The story this appeal tells is not verified, or its verification "
                        "has expired."
                    )
                )
            )
        )
    consented = consented_items(beneficiary.id, ConsentAudience.PUBLIC_PAGE)
    if any(t.story_markdown for t in appeal.translations) and ConsentItem.STORY not in consented:
        problems.append(Problem(str(_l("The person has not agreed to publish the story."))))
    if any(t.display_name for t in appeal.translations) and (
        ConsentItem.PUBLIC_NAME not in consented
    ):
        problems.append(Problem(str(_l("The person has not agreed to publish a name."))))
    has_cover = db.session.scalar(
        select(PublicImage.id).where(
            PublicImage.appeal_id == appeal.id, PublicImage.purpose == "cover"
        )
    )
    if has_cover and ConsentItem.PHOTO not in consented:
        problems.append(Problem(str(_l("The person has not agreed to publish a photo."))))
    if not appeal.budget_lines:
        problems.append(Problem(str(_l("Add at least one budget line."))))
    if not any(t.language == appeal.fallback_language for t in appeal.translations):
        problems.append(Problem(str(_l("Write the appeal in its fallback language."))))
    private = safety.private_values_of(beneficiary, consented)
    for finding in safety.scan_texts(public_texts(appeal), private):
        problems.append(Problem(str(_l("Private information found in public text.")), finding))
    return problems


def submit_for_review(appeal: Appeal, *, actor: User) -> str:
    """Send the draft to a second person; what they will read is kept under its digest, which
    is returned."""
    if appeal.status != AppealStatus.DRAFT.value:
        raise AppealError(_l("Only a draft can be sent for review."))
    appeal.status = AppealStatus.IN_REVIEW.value
    appeal.submitted_by_id = actor.id
    digest = review.save_snapshot(appeal, review.appeal_content(appeal))
    audit.record_change(appeal, actor, "appeal.submitted", digest=digest)
    return digest


def return_to_draft(appeal: Appeal, *, actor: User) -> None:
    if appeal.status not in (AppealStatus.IN_REVIEW.value, AppealStatus.PUBLISHED.value):
        raise AppealError(_l("Only an appeal in review or published can go back to draft."))
    appeal.status = AppealStatus.DRAFT.value
    appeal.approved_by_id = None
    audit.record_change(appeal, actor, "appeal.returned_to_draft")


def approval_refusal(appeal: Appeal, approver: User) -> str | None:
    """Why `approver` may not approve the appeal under the four-eyes rule, or None."""
    return four_eyes_refusal(
        approver.id,
        authors=[appeal.created_by_id],
        submitter=appeal.submitted_by_id,
        editors=appeal.editor_ids or [],
    )


def approve_and_publish(appeal: Appeal, *, approver: User, digest: str) -> None:
    """The second pair of eyes, approving exactly the content whose digest they read (the
    review page's); its photos become public with it."""
    if appeal.status != AppealStatus.IN_REVIEW.value:
        raise AppealError(_l("Only an appeal in review can be published."))
    refusal = approval_refusal(appeal, approver)
    if refusal is not None:
        raise AppealError(refusal)
    content = review.appeal_content(appeal)
    review.refuse_if_changed(_l("The appeal changed since you opened it."), digest, content, appeal)
    problems = publication_problems(appeal)
    if problems:
        # The messages name what is wrong, never a private value (that is in findings only).
        raise AppealError(
            _l(
                "The appeal cannot be published until every problem is solved: %(problems)s",
                problems=" ".join(dict.fromkeys(p.message for p in problems)),
            )
        )
    for image in db.session.scalars(select(PublicImage).where(PublicImage.appeal_id == appeal.id)):
        if image.purpose == "cover":
            images.publish_image(image)
    review.save_snapshot(appeal, content)
    appeal.status = AppealStatus.PUBLISHED.value
    appeal.approved_by_id = approver.id
    appeal.approved_digest = digest
    appeal.editor_ids = []
    appeal.published_at = utcnow()
    audit.record_change(appeal, approver, "appeal.published", digest=digest)


def is_publicly_visible(appeal: Appeal) -> bool:
    """What the gate says now. Pages do not ask it (it decrypts the case): campaigns.visibility
    stores its answer as `Appeal.listed` before every commit that could change it."""
    return AppealStatus(appeal.status) in VISIBLE and not publication_problems(appeal)
