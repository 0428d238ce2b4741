"""The public page of an organisation: who runs its appeals and how to reach them."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from ngo.http_cache import cacheable
from ngo.public import organisations
from ngo.public.views.home import current_locale, refuse_long_query_string

bp = Blueprint("public_organisations", __name__)
bp.before_request(refuse_long_query_string)


def paragraphs(text: str | None) -> list[str]:
    """A plain text's paragraphs (separated by an empty line), for <p> elements."""
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    return {"paragraphs": paragraphs}


@bp.get("/organisations/<org_slug>")
@cacheable()
def organisation(org_slug: str) -> str:
    found = organisations.public_organisation(org_slug, current_locale())
    if found is None:
        abort(404)
    organisation, cards = found
    return render_template("public/organisation.html", organisation=organisation, cards=cards)
