"""The public ledger of an appeal, `/appeals/<slug>/ledger`, and "find my gift".

The ledger page is a public page like the appeal's (cacheable, no cookie, no form token, the
public rate limit); only listed appeals have one (404 for an unknown address, 410 for an
appeal no longer on the public site, as the appeal page answers). "Find my gift" has a page of
its own, never cached, whose form carries a CSRF token; its answer is the ledger page holding
the gift, with the gift marked, sent to that reader only (no-store). The code never appears in
an address, a log or the answer; an unknown code is told so, and nothing is said about other
gifts.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo.accounts.models import Organisation
from ngo.campaigns.models import Appeal
from ngo.campaigns.presentation import translation_for
from ngo.donations import public_ledger
from ngo.donations.forms_disbursements import FindGiftForm
from ngo.donations.models import LedgerCheckpoint
from ngo.donations.models.ledger import LEDGER_CHAIN
from ngo.donations.public_ledger import AppealNotListed
from ngo.extensions import db, limiter
from ngo.http_cache import cacheable

bp = Blueprint("public_ledger", __name__)

FIND_GIFT_RATE_LIMIT = "10 per minute;30 per hour"
MAX_QUERY_STRING = 2048


def kind_label(kind: str) -> str:
    labels = {
        "donation": _("Gift"),
        "refund": _("Refund"),
        "chargeback": _("Chargeback"),
        "fee": _("Payment fee"),
        "disbursement": _("Paid out"),
        "reallocation": _("Moved between lines"),
        "general_fund": _("To the organisation's general fund"),
    }
    return labels.get(kind, _("Other movement"))


@bp.before_request
def _refuse_long_query_string() -> None:
    if len(request.query_string) > MAX_QUERY_STRING:
        abort(400, description=_("This address is too long."))


def _listed_or_abort(slug: str) -> Appeal:
    try:
        return public_ledger.listed_appeal(slug)
    except AppealNotListed:
        abort(410)
    except LookupError:
        abort(404)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= public_ledger.MAX_PAGE:
        abort(
            400, description=_("Use a page number from 1 to %(max)s.", max=public_ledger.MAX_PAGE)
        )
    return int(raw)


def _title(appeal: Appeal) -> str:
    """The title in the reader's language, else English, else the appeal's own."""
    text = translation_for(appeal, str(get_locale()))
    return text.title if text else ""


def _render(
    appeal: Appeal,
    number: int,
    *,
    highlight_seq: int | None = None,
    form: FindGiftForm | None = None,
    not_found: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    page = public_ledger.page(appeal, number)
    if number > 1 and not page.entries:
        abort(404)
    checkpoint: LedgerCheckpoint | None = public_ledger.newest_checkpoint()
    language = str(get_locale())
    return render_template(
        "donations/public_ledger.html",
        appeal=appeal,
        title=_title(appeal),
        page=page,
        kind_label=kind_label,
        line_label=lambda line_id: (
            public_ledger.line_label(page.lines[line_id], language, appeal.fallback_language)
            if line_id in page.lines
            else ""
        ),
        checkpoint=checkpoint,
        checkpoint_line=checkpoint.as_checkpoint().to_line() if checkpoint else None,
        chain_name=LEDGER_CHAIN,
        highlight_seq=highlight_seq,
        find_form=form,
        not_found=not_found,
        organisation_name=db.session.scalar(
            select(Organisation.name).where(Organisation.id == appeal.organisation_id)
        )
        or "",
    ), status


@bp.get("/appeals/<slug>/ledger")
@cacheable()
def ledger(slug: str) -> tuple[str, int]:
    appeal = _listed_or_abort(slug)
    return _render(appeal, _page_number())


def _never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/appeals/<slug>/ledger/find")
def find_gift_form(slug: str) -> Response:
    appeal = _listed_or_abort(slug)
    page = render_template(
        "donations/find_gift.html", appeal=appeal, title=_title(appeal), form=FindGiftForm()
    )
    return _never_cache(Response(page))


@bp.post("/appeals/<slug>/ledger/find")
@limiter.limit(FIND_GIFT_RATE_LIMIT)
def find_gift(slug: str) -> Response:
    appeal = _listed_or_abort(slug)
    form = FindGiftForm()
    if not form.validate_on_submit():
        page = render_template(
            "donations/find_gift.html", appeal=appeal, title=_title(appeal), form=form
        )
        return _never_cache(Response(page, 400))
    found = public_ledger.find_gift(appeal, form.code.data or "")
    if found is None:
        page = render_template(
            "donations/find_gift.html",
            appeal=appeal,
            title=_title(appeal),
            form=FindGiftForm(formdata=None),
            not_found=True,
        )
        return _never_cache(Response(page))
    number, seq = found
    # A fresh form: the code typed is never sent back in the page.
    body, status = _render(appeal, number, highlight_seq=seq, form=FindGiftForm(formdata=None))
    return _never_cache(Response(body, status))
