"""What readers send from a public appeal page: concern reports and following by e-mail.

The appeal page links to each form's own page (campaigns/concern_form.html and
follow_form.html, built on the _concern_form and _follow_form partials); they post here. An
unknown appeal is a 404, one no longer on the public site a 410, both before anything is read.
Both forms are rate-limited per client.
The follow form answers the same whatever the address, so nobody can learn who follows what.
Links in e-mails only show a button: mail scanners open links, and a GET never changes state.
The links carry their token after "#", which no server sees; the button posts it.

The two public forms carry no CSRF token (see public.forms: the page they sit on is
cookie-free and cacheable); instead a post that the browser shows as coming from another site
(Sec-Fetch-Site, or without it Origin or Referer) is refused, so a hostile page cannot have its
visitors' browsers file reports or sign up e-mail addresses from many network addresses at once.
The confirmation button keeps its CSRF token (that page is the follower's own, never cached).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from ngo.accounts.forms import LinkForm
from ngo.campaigns import concerns, subscriptions
from ngo.campaigns.models import Appeal, UpdateSubscription
from ngo.campaigns.visibility import is_listed
from ngo.extensions import csrf, db, limiter
from ngo.forms import given
from ngo.public.browse import AppealGoneError, find_listed, translation_for
from ngo.public.forms import ConcernForm, FollowForm
from ngo.security import CROSS_SITE_MESSAGE, comes_from_another_site
from ngo.unit_of_work import attempt, retry_on_conflict

bp = Blueprint("appeal_forms", __name__)

CONCERN_RATE_LIMIT = "5 per hour; 20 per day"
FOLLOW_RATE_LIMIT = "10 per hour"


@bp.before_request
def _refuse_cross_site_posts() -> None:
    # See security.comes_from_another_site: Sec-Fetch-Site, else Origin, else Referer. Mail
    # programs' one-click unsubscribe comes from a server (none of them) and is not refused.
    if request.method == "POST" and comes_from_another_site():
        abort(403, description=str(CROSS_SITE_MESSAGE))


@bp.after_request
def _never_cache(response: Response) -> Response:
    # Answers to a reader's own post, and pages whose address holds a follower's token.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def public_appeal_path(slug: str) -> str:
    return url_for("public_appeals.appeal", slug=slug)


def _listed_or_abort(slug: str) -> Appeal:
    try:
        return find_listed(slug)
    except AppealGoneError:
        abort(410)
    except LookupError:
        abort(404)


def _appeal_title(appeal: Appeal) -> str:
    text = translation_for(appeal, str(get_locale()))
    return text.title if text else ""


def _render(
    template: str, appeal: Appeal | None, status: int = 200, **context: object
) -> tuple[str, int]:
    return render_template(
        template,
        appeal=appeal,
        appeal_title=_appeal_title(appeal) if appeal is not None else "",
        appeal_url=public_appeal_path(appeal.slug) if appeal is not None else None,
        **context,
    ), status


# Concern reports --------------------------------------------------------------------------


@bp.route("/appeals/<slug>/concern", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(CONCERN_RATE_LIMIT, methods=["POST"])
def report_concern(slug: str) -> Response | tuple[str, int]:
    appeal = _listed_or_abort(slug)
    form = ConcernForm()
    if request.method == "GET":
        return _render("campaigns/concern_form.html", appeal, concern_form=form)
    if form.validate_on_submit() and attempt(
        form,
        lambda: concerns.report_concern(
            appeal,
            kind=form.kind.data,
            message=given(form.message.data),
            contact_email=form.contact_email.data or None,
        ),
    ):
        # No flash: it would put a session cookie on the cacheable appeal page, which
        # says "sent" itself when the address asks for it.
        return redirect(f"{public_appeal_path(slug)}?concern=sent#concern", 303)
    return _render("campaigns/concern_form.html", appeal, 400, concern_form=form)


# Following by e-mail ----------------------------------------------------------------------


@bp.route("/appeals/<slug>/follow", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(FOLLOW_RATE_LIMIT, methods=["POST"])
def follow(slug: str) -> Response | tuple[str, int]:
    appeal = _listed_or_abort(slug)
    form = FollowForm()
    if request.method == "GET":
        return _render("campaigns/follow_form.html", appeal, follow_form=form)
    if form.validate_on_submit():
        language = str(get_locale())
        # The same new address in two requests at once: the second finds the first's row.
        if attempt(
            form,
            lambda: retry_on_conflict(
                lambda: subscriptions.subscribe(appeal, given(form.email.data), language)
            ),
        ):
            return redirect(url_for("appeal_forms.follow_sent", slug=slug), 303)
    return _render("campaigns/follow_form.html", appeal, 400, follow_form=form)


@bp.get("/appeals/<slug>/follow/sent")
def follow_sent(slug: str) -> tuple[str, int]:
    """The same answer for a new, a pending and an already confirmed address."""
    return _render("campaigns/follow_page.html", _listed_or_abort(slug), state="sent")


def _subscription_or_404(token: str) -> UpdateSubscription:
    subscription = subscriptions.find_by_token(token)
    if subscription is None:
        abort(404)
    return subscription


def _appeal_of(subscription: UpdateSubscription) -> Appeal | None:
    """The appeal, only while it is on the public site (its title and link are public)."""
    appeal = db.session.get(Appeal, subscription.appeal_id)
    return appeal if appeal is not None and is_listed(appeal) else None


# The pages the e-mailed links open. A link carries its token after "#" (never sent to a
# server, so never in an access log; see accounts/views/links.py): the page's form takes it
# from the address (static/js/link-token.js) or from the reader, and the button posts it.


def _link_form_page(kind: str, form: LinkForm, status: int = 200) -> tuple[str, int]:
    return _render("campaigns/follow_page.html", None, status, state=kind, link_form=form)


def _result_page(subscription: UpdateSubscription) -> tuple[str, int]:
    if subscription.unsubscribed_at is not None:
        state = "unsubscribed"
    elif subscription.confirmed_at is not None:
        state = "confirmed"
    else:
        state = "confirm"
    return _render(
        "campaigns/follow_page.html",
        _appeal_of(subscription),
        state=state,
        link_form=LinkForm(formdata=None),
    )


@bp.route("/follow/confirm", methods=["GET", "POST"])
def confirm_follow() -> tuple[str, int]:
    form = LinkForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _link_form_page("confirm", form, 400 if form.errors else 200)
    _subscription_or_404(given(form.token.data))
    # Found just above: only a concurrent delete could make it None.
    subscription = given(subscriptions.confirm_subscription(given(form.token.data)))
    return _result_page(subscription)


@bp.route("/follow/unsubscribe", methods=["GET", "POST"])
def unsubscribe() -> tuple[str, int]:
    form = LinkForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _link_form_page("unsubscribe", form, 400 if form.errors else 200)
    _subscription_or_404(given(form.token.data))
    subscription = given(subscriptions.unsubscribe(given(form.token.data)))
    return _result_page(subscription)


@bp.post("/follow/<token>/unsubscribe")
@csrf.exempt  # RFC 8058 one-click: mail programs POST here without a form; the token is the key
def one_click_unsubscribe(token: str) -> tuple[str, int]:
    """The List-Unsubscribe address: RFC 8058 needs the token in the address itself, so it
    stays there (and ngo.access_log takes it out of gunicorn's log lines)."""
    _subscription_or_404(token)
    subscription = given(subscriptions.unsubscribe(token))
    return _result_page(subscription)


@bp.get("/follow/<token>/confirm")
def legacy_confirm_link(token: str) -> Response:
    """Links in e-mails sent before the token moved after "#"."""
    return redirect(f"{url_for('appeal_forms.confirm_follow')}#{token}", 303)


@bp.get("/follow/<token>/unsubscribe")
def legacy_unsubscribe_link(token: str) -> Response:
    return redirect(f"{url_for('appeal_forms.unsubscribe')}#{token}", 303)
