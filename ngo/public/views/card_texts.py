"""What an appeal card says besides its own columns (its links, amounts, counts, labels and
dates), worked out in Python once per card for `campaigns/_appeal_cards.html`.

A call from a template goes through Jinja's `Context.call` (it looks at the callee for
`pass_context` and its kin on every call), and a card made fifteen of them: on a list page of
twenty cards that was a fifth of the render. Here the same helpers the templates use (the
render's bound `url_for`, `money_short`, `format_date`, the label lookups) are called directly,
so a card reads the same, character for character, in every language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from flask_babel import get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from ngo.i18n import formatted
from ngo.public.browse import Card


class CardText(NamedTuple):
    page_url: str
    cover_url: str | None
    organisation_url: str
    raised: Markup | str
    donations: Markup | str
    status: str
    categories: str
    country: str
    deadline_iso: str
    deadline: str
    last_update_iso: str
    last_update: str


@pass_context
def card_texts(context: Context, cards: Sequence[Card]) -> list[tuple[Card, CardText]]:
    """Each card with what its template shows of it, in the render's language."""
    translations = get_translations()
    eval_context = context.eval_ctx
    url_for = context["url_for"]
    money_short = context["money_short"]
    format_date = context["format_date"]
    category_list = context["category_list"]
    country_name = context["country_name"]
    status_label = context["public_status_label"]
    raised_of_goal = translations.ugettext("%(raised)s of %(goal)s")
    shown = []
    for card in cards:
        page_url = url_for("public_appeals.appeal", slug=card.slug)
        cover = card.cover_token
        deadline, updated = card.deadline, card.last_update_at
        donations = translations.ungettext("%(num)d donation", "%(num)d donations", card.donations)
        text = CardText(
            page_url=page_url,
            cover_url=url_for("public_appeals.media", token=cover) if cover else None,
            organisation_url=url_for(
                "public_organisations.organisation", org_slug=card.organisation_slug
            ),
            raised=formatted(
                eval_context,
                raised_of_goal,
                {"raised": money_short(card.raised), "goal": money_short(card.goal)},
            ),
            donations=formatted(eval_context, donations, {"num": card.donations}),
            status=status_label(card.status) if card.status == "funded" else "",
            categories=category_list(card.categories) if card.categories else "",
            country=country_name(card.country) if card.country else "",
            deadline_iso=deadline.isoformat() if deadline else "",
            deadline=format_date(deadline) if deadline else "",
            last_update_iso=updated.date().isoformat() if updated else "",
            last_update=format_date(updated) if updated else "",
        )
        shown.append((card, text))
    return shown
