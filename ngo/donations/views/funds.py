"""An appeal's money for the treasurer: what each line and the reserve hold, and moving it
between them or from the reserve to the general fund."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ngo.accounts import policy
from ngo.accounts.access import acting_membership, load_in_organisation, staff_required
from ngo.accounts.policy import Action
from ngo.campaigns.models import Appeal
from ngo.donations import reallocation
from ngo.donations.forms import MoveFundsForm
from ngo.donations.views.blueprints import bp
from ngo.donations.views.gifts import appeal_title, line_names, money_message
from ngo.forms import add_error, given
from ngo.money import Money, MoneyError
from ngo.unit_of_work import attempt


def _places(appeal: Appeal) -> list[tuple[str, str]]:
    return [(reallocation.RESERVE, _("The appeal's reserve")), *line_names(appeal)]


def _form(appeal: Appeal, *, from_request: bool) -> MoveFundsForm:
    form = MoveFundsForm() if from_request else MoveFundsForm(formdata=None)
    places = _places(appeal)
    form.source.choices = places
    form.target.choices = [
        *places,
        (reallocation.GENERAL_FUND, _("The organisation's general fund (from the reserve)")),
    ]
    return form


def _render(appeal: Appeal, form: MoveFundsForm, status: int = 200) -> tuple[str, int]:
    held = reallocation.holdings(appeal)
    currency = appeal.currency
    lines = [
        {
            "label": label,
            "amount": Money(line.amount_minor, currency),
            "funded": Money(line.funded_minor, currency),
            "spent": Money(line.spent_minor, currency),
            "movable": Money(held.lines.get(line.id, 0), currency),
            "essential": line.essential,
        }
        for line, (_id, label) in zip(appeal.budget_lines, _places(appeal)[1:], strict=True)
    ]
    return render_template(
        "donations/funds.html",
        appeal=appeal,
        title=appeal_title(appeal),
        lines=lines,
        raised=Money(appeal.raised_minor, currency),
        reserve=Money(held.reserve_minor, currency),
        form=form,
        may_move=policy.may(acting_membership(), Action.REALLOCATE_FUNDS, appeal),
    ), status


@bp.get("/appeals/<slug>/funds")
@staff_required(Action.VIEW_DONATIONS)
def funds(slug: str) -> tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.VIEW_DONATIONS)
    return _render(appeal, _form(appeal, from_request=False))


@bp.post("/appeals/<slug>/funds")
@staff_required(Action.REALLOCATE_FUNDS)
def move_funds(slug: str) -> Response | tuple[str, int]:
    appeal = load_in_organisation(Appeal, slug, Action.REALLOCATE_FUNDS)
    form = _form(appeal, from_request=True)
    if not form.validate():
        return _render(appeal, form, 400)
    try:
        amount = Money.parse(given(form.amount.data), appeal.currency)
    except MoneyError as exc:
        add_error(form.amount, money_message(exc.code))
        return _render(appeal, form, 400)
    moved = attempt(
        form,
        lambda: reallocation.move_funds(
            appeal,
            source=given(form.source.data),
            target=given(form.target.data),
            amount_minor=amount.amount_minor,
            actor=current_user,
        ),
    )
    if not moved:
        return _render(appeal, form, 400)
    flash(_("The money was moved."), "success")
    return redirect(url_for("donations.funds", slug=appeal.slug))
