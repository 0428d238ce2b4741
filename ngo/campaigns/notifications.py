"""E-mails of appeals, sent by the worker through the outbox: the link that confirms a
follower's address, and each update to each confirmed follower, once.

Mails carry only public text (the appeal's public title, the update as posted) and links; never
anything of the person the appeal is for. Each is written in the follower's language.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ngo import mail, outbox
from ngo.campaigns.models import (
    Appeal,
    AppealUpdate,
    UpdateDelivery,
    UpdateState,
    UpdateSubscription,
)
from ngo.campaigns.presentation import translation_for
from ngo.campaigns.visibility import is_listed
from ngo.extensions import db
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction
from ngo.urls import external_url

FOLLOW_CONFIRMATION_EMAIL = "campaigns.follow_confirmation_email"
UPDATE_EMAIL = "campaigns.update_email"


def public_appeal_url(slug: str) -> str:
    return external_url("public_appeals.appeal", slug=slug)


def public_title(appeal: Appeal, language: str) -> str:
    """The appeal's public title in this language, else in its fallback language."""
    text = translation_for(appeal, language)
    return text.title if text else ""


def _link(page_url: str, token: str) -> str:
    """A link for the body of a mail: the token after "#", which no server ever receives (see
    accounts/views/links.py). Only the List-Unsubscribe address has it in the path, as RFC 8058
    one-click needs, and ngo.access_log keeps it out of the logs."""
    return f"{page_url}#{token}"


def _send(
    to: str, subject: str, body: str, language: str, unsubscribe_url: str | None = None
) -> None:
    # Updates are bulk mail: the one-click address goes into List-Unsubscribe (RFC 8058).
    mail.deliver(
        mail.compose(to, subject, body, language=language, unsubscribe_url=unsubscribe_url)
    )


def _note_refusal(subscription: UpdateSubscription, failure: outbox.PermanentError) -> None:
    subscription.mail_failed_at = utcnow()
    subscription.mail_failure = failure.safe_message[:200]


def record_refused_confirmation(payload: dict[str, Any], failure: outbox.PermanentError) -> None:
    """The follower's server refused the confirmation link for good: noted on the follower
    (staff see the count on the appeal's updates page)."""
    subscription = db.session.get(UpdateSubscription, payload["subscription_id"])
    if subscription is not None:
        _note_refusal(subscription, failure)


def send_follow_confirmation(payload: dict[str, Any]) -> None:
    subscription = db.session.get(UpdateSubscription, payload["subscription_id"])
    if subscription is None or subscription.unsubscribed_at is not None:
        return
    appeal = db.session.get(Appeal, subscription.appeal_id)
    if appeal is None or not is_listed(appeal):
        return  # the appeal left the public site before the worker got to it
    with force_locale(subscription.language):
        context = {
            "title": public_title(appeal, subscription.language),
            "confirm_url": _link(external_url("appeal_forms.confirm_follow"), subscription.token),
            "appeal_url": public_appeal_url(appeal.slug),
        }
        _send(
            subscription.email,
            _("Confirm that you want news of this appeal"),
            render_template("campaigns/email/follow_confirm.txt", **context),
            subscription.language,
        )


def send_update_emails(payload: dict[str, Any]) -> None:
    """Each confirmed follower gets the update once: the delivery row is written and committed
    with each mail, so a second run (or a retry after a failure half-way) skips those sent."""
    update = db.session.get(AppealUpdate, payload["update_id"])
    if (
        update is None
        or update.state != UpdateState.PUBLISHED.value
        or update.withdrawn_at is not None
    ):
        return  # only approved news is mailed, and not once withdrawn
    appeal = db.session.get(Appeal, update.appeal_id)
    if appeal is None or not is_listed(appeal):
        return
    delivered = select(UpdateDelivery.subscription_id).where(UpdateDelivery.update_id == update.id)
    followers = db.session.scalars(
        select(UpdateSubscription)
        .where(
            UpdateSubscription.appeal_id == appeal.id,
            UpdateSubscription.confirmed_at.is_not(None),
            UpdateSubscription.unsubscribed_at.is_(None),
            UpdateSubscription.mail_failed_at.is_(None),
            UpdateSubscription.id.not_in(delivered),
        )
        .order_by(UpdateSubscription.id)
    ).all()
    # Read everything the mails need before the first commit expires the objects.
    update_id, has_photo = update.id, update.image_id is not None
    title, body = update.title, update.body_markdown
    appeal_url = public_appeal_url(appeal.slug)
    titles = {
        language: public_title(appeal, language) for language in {f.language for f in followers}
    }
    recipients = [(f.id, f.email, f.language, f.token) for f in followers]
    for subscription_id, address, language, token in recipients:
        # One unit of work per mail: the delivery row commits with the mail it records.
        with transaction(), force_locale(language):
            db.session.add(UpdateDelivery(update_id=update_id, subscription_id=subscription_id))
            db.session.flush()  # a second worker on the same pair stops here, before sending
            unsubscribe_url = _link(external_url("appeal_forms.unsubscribe"), token)
            one_click_url = external_url("appeal_forms.one_click_unsubscribe", token=token)
            body_text = render_template(
                "campaigns/email/update.txt",
                appeal_title=titles[language],
                title=title,
                body=body,
                has_photo=has_photo,
                appeal_url=appeal_url,
                unsubscribe_url=unsubscribe_url,
            )
            try:
                _send(
                    address, _("News: %(title)s", title=title), body_text, language, one_click_url
                )
            except mail.PermanentDeliveryError as failure:
                # This address is gone; the others still get the news. The delivery row stays,
                # so a retry does not try it again.
                _note_refusal(db.session.get_one(UpdateSubscription, subscription_id), failure)


# The outbox kinds this domain enqueues and the function the worker runs for each
# (registered by campaigns.init_app), with what notes a permanent refusal of the mail.
HANDLERS: dict[str, outbox.Handler] = {
    FOLLOW_CONFIRMATION_EMAIL: send_follow_confirmation,
    UPDATE_EMAIL: send_update_emails,
}
ON_PERMANENT_FAILURE: dict[str, outbox.PermanentErrorHandler] = {
    FOLLOW_CONFIRMATION_EMAIL: record_refused_confirmation,
}
