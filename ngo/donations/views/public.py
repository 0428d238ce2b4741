"""The donor's pages: the donate form of an appeal, the page a gift leads to (bank transfer
details, or the thanks after Stripe's page), and cancelling a monthly gift.

The form's page holds a fresh idempotency key and is never cached; posts a browser marks as
cross-site are refused, and posts are rate-limited per client. The gift's page and the cancel
page are reached by signed links (donations.plans); their tokens are kept out of access logs
(ngo.access_log). GET never writes: the cancel link shows a button, the button posts.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # not in its stubs

from ngo.campaigns.models import Appeal
from ngo.campaigns.presentation import line_text, translation_for
from ngo.campaigns.visibility import is_listed
from ngo.donations import giving, plans, stripe_api
from ngo.donations.bank_accounts import bank_account_for
from ngo.donations.fees import fee_rule, fee_to_cover
from ngo.donations.forms_donate import DonateForm
from ngo.donations.models import BankAccount, Donation, DonationStatus, Frequency
from ngo.donations.stripe_settle import record_payment
from ngo.donations.suggestions import suggested_amounts
from ngo.extensions import db, limiter
from ngo.money import Money, format_money_short, format_plain
from ngo.security import CROSS_SITE_MESSAGE, comes_from_another_site
from ngo.unit_of_work import attempt, retry_on_conflict
from ngo.urls import external_url

bp = Blueprint("donations_public", __name__)

DONATE_RATE_LIMIT = "10 per minute; 60 per hour"
CANCEL_RATE_LIMIT = "10 per minute"


@bp.before_request
def _refuse_cross_site_posts() -> None:
    if request.method == "POST" and comes_from_another_site():
        abort(403, description=str(CROSS_SITE_MESSAGE))


@bp.after_request
def _never_cache(response: Response) -> Response:
    # A fresh idempotency key per form, a gift's own details: nothing here may be shared.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.context_processor
def _money_helpers() -> dict[str, object]:
    # Amounts themselves are `money_short` (ngo.public), as on every public page.
    return {"format_plain": format_plain}


def _listed_appeal(slug: str) -> Appeal:
    if not slug or len(slug) > 24 or not slug.isascii():
        abort(404)
    appeal = db.session.query(Appeal).filter_by(slug=slug).one_or_none()
    if appeal is None:
        abort(404)
    if not is_listed(appeal):
        abort(410)
    return appeal


def _locale() -> str:
    return str(get_locale() or "en")


def _designations(appeal: Appeal) -> list[Any]:
    locale = _locale()
    choices = [SelectChoice("", _("The whole appeal: shared among its needs by the appeal's rule"))]
    for line in appeal.budget_lines:
        label, _description = line_text(line, locale, appeal.fallback_language)
        choices.append(SelectChoice(str(line.id), label))
    return choices


def _form(appeal: Appeal, online: bool) -> DonateForm:
    form = DonateForm()
    form.designation.choices = _designations(appeal)
    if not online:
        form.method.choices = [SelectChoice(giving.BANK_TRANSFER, _("Bank transfer"))]
    if request.method == "GET":
        form.currency.data = request.args.get("currency", appeal.currency)[:3]
        if form.currency.data not in giving.CURRENCIES:
            form.currency.data = appeal.currency
        form.amount.data = request.args.get("amount", "")[:32]
        form.method.data = giving.ONLINE if online else giving.BANK_TRANSFER
        form.idempotency_key.data = secrets.token_urlsafe(24)
    return form


def _page(appeal: Appeal, form: DonateForm, online: bool, status: int = 200) -> tuple[str, int]:
    text = translation_for(appeal, _locale())
    maximum = giving.max_donation_minor(appeal.currency)
    labels = {choice.value: choice.label for choice in _designations(appeal)}
    return render_template(
        "donations/donate.html",
        appeal=appeal,
        title=text.title if text else "",
        text_language=text.language if text else appeal.fallback_language,
        form=form,
        online=online,
        open_for_gifts=giving.open_for_gifts(appeal),
        suggestions=suggested_amounts(appeal, maximum),
        line_labels=labels,
        fee_rules=_fee_rules(),
        fee_example=_fee_example(form),
        maximum=Money(maximum, appeal.currency),
        raised=Money(appeal.raised_minor, appeal.currency),
        goal=Money(appeal.goal_minor, appeal.currency),
    ), status


def _fee_rules() -> list[str]:
    """The fee rule of each currency, as the donor reads it: "1.5% + €0.25"."""
    rules = fee_rule()
    texts = []
    for currency in giving.CURRENCIES:
        fee = rules.get(currency)
        if fee is not None:
            texts.append(
                _(
                    "%(percent)s%% + %(fixed)s",
                    percent=format_decimal(Decimal(fee.basis_points) / 100, locale=_locale()),
                    fixed=format_money_short(Money(fee.fixed_minor, currency), _locale()),
                )
            )
    return texts


def _fee_example(form: DonateForm) -> Money | None:
    """The fee for the amount in the form (a suggested amount, or one sent back with an error)."""
    currency = form.currency.data or ""
    try:
        amount = giving.parse_amount(form.amount.data or "", currency)
    except giving.GiftError:
        return None
    return Money(fee_to_cover(amount, currency), currency)


@bp.get("/appeals/<slug>/donate")
def donate(slug: str) -> tuple[str, int]:
    appeal = _listed_appeal(slug)
    online = stripe_api.configured()
    return _page(appeal, _form(appeal, online), online)


def _request_of(form: DonateForm) -> giving.GiftRequest:
    designation = (form.designation.data or "").strip()
    return giving.GiftRequest(
        amount_text=form.amount.data or "",
        currency=(form.currency.data or "").strip().upper(),
        line_id=int(designation) if designation.isdigit() else (-1 if designation else None),
        monthly=form.frequency.data == Frequency.MONTHLY.value,
        cover_fee=bool(form.cover_fee.data),
        display_name=form.display_name.data or "",
        email=form.email.data or "",
        message=form.message.data or "",
        wants_updates=bool(form.wants_updates.data),
        method=form.method.data or "",
        idempotency_key=form.idempotency_key.data or "",
        locale=_locale(),
    )


@bp.post("/appeals/<slug>/donate")
@limiter.limit(DONATE_RATE_LIMIT)
def donate_post(slug: str) -> Response | tuple[str, int]:
    appeal = _listed_appeal(slug)
    online = stripe_api.configured()
    form = _form(appeal, online)
    earlier = giving.existing_gift(form.idempotency_key.data or "")
    if earlier is not None and earlier.appeal_id == appeal.id:
        return _continue(earlier)
    if not form.validate():
        return _page(appeal, form, online, 400)
    gift_request = _request_of(form)
    # Two posts of one form at once: the second loses the race for the idempotency key, and
    # its second run finds the first's gift.
    started = attempt(
        form,
        lambda: retry_on_conflict(
            lambda: giving.start_gift(appeal, gift_request, online_available=online)
        ),
    )
    if started.refusal is not None or started.result is None:
        return _page(appeal, form, online, 400)
    donation = started.result
    if donation.method == giving.BANK_TRANSFER or donation.status != DonationStatus.PENDING:
        return _continue(donation)
    checkout = attempt(form, lambda: _checkout(donation, appeal))
    if checkout.refusal is not None or checkout.result is None:
        # Rolled back: no gift is recorded for a checkout that could not be opened.
        form.idempotency_key.data = secrets.token_urlsafe(24)
        return _page(appeal, form, online, 400)
    return redirect(checkout.result, 303)


def _checkout(donation: Donation, appeal: Appeal) -> str:
    """The Stripe Checkout page of a pending online gift; asked again (a second post of the
    form), Stripe answers the same idempotency key with the same session."""
    gift_page = external_url("donations_public.gift", gift_token=plans.gift_token(donation))
    params = stripe_api.checkout_params(
        donation,
        email=(donation.donor.email if donation.donor else None) or "",
        success_url=gift_page,
        # Neither address names the appeal: Stripe keeps them with the donor's e-mail.
        cancel_url=external_url(
            "donations_public.gift", gift_token=plans.gift_token(donation), left="1"
        ),
        product_name=_("Donation"),
    )
    session = stripe_api.create_checkout_session(params, str(donation.idempotency_key))
    record_payment(donation, "checkout_session", str(session["id"]), donation.amount_minor)
    return str(session["url"])


def _continue(donation: Donation) -> Response:
    """Where a (repeated) post of the form leads: the same Stripe page, or the gift's page."""
    if donation.method != giving.BANK_TRANSFER and donation.status == DonationStatus.PENDING:
        appeal = db.session.get_one(Appeal, donation.appeal_id)
        try:
            return redirect(_checkout(donation, appeal), 303)
        except stripe_api.PaymentProviderError:
            pass
    return redirect(url_for("donations_public.gift", gift_token=plans.gift_token(donation)), 303)


def _bank_account(donation: Donation) -> BankAccount | None:
    return bank_account_for(donation.organisation_id, donation.currency)


@bp.get("/giving/<gift_token>")
def gift(gift_token: str) -> tuple[str, int]:
    donation = plans.gift_from_token(gift_token)
    if donation is None:
        abort(404)
    appeal = db.session.get_one(Appeal, donation.appeal_id)
    text = translation_for(appeal, _locale())
    bank = donation.method == giving.BANK_TRANSFER
    return render_template(
        "donations/donor_gift.html",
        donation=donation,
        appeal=appeal,
        title=text.title if text else "",
        money=Money(donation.amount_minor, donation.currency),
        account=_bank_account(donation) if bank else None,
        bank=bank,
        left=request.args.get("left") == "1",
    ), 200


@bp.route("/giving/monthly/<plan_token>/cancel", methods=["GET", "POST"])
@limiter.limit(CANCEL_RATE_LIMIT, methods=["POST"])
def cancel_monthly(plan_token: str) -> tuple[str, int]:
    plan = plans.plan_from_token(plan_token)
    if plan is None:
        abort(404)
    state = "cancelled" if plan.cancelled_at is not None else "confirm"
    message = None
    if request.method == "POST" and state == "confirm":
        done = attempt(None, lambda: plans.cancel_monthly_gift(plan))
        state = "done" if done.refusal is None else "confirm"
        message = str(done.refusal.message) if done.refusal is not None else None
    appeal = db.session.get_one(Appeal, plan.appeal_id)
    text = translation_for(appeal, _locale())
    return render_template(
        "donations/cancel_monthly.html",
        plan=plan,
        state=state,
        message=message,
        title=text.title if text else "",
        money=Money(plan.amount_minor, plan.currency),
    ), (502 if message else 200)
