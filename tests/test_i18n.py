from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from ngo.config import LANGUAGES
from ngo.extensions import db
from tests.conftest import login

CATALOGS = Path(__file__).resolve().parent.parent / "ngo" / "translations"


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_catalog_is_complete(language):
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    template_ids = {m.id for m in read_po((CATALOGS / "messages.pot").open("rb")) if m.id}
    forms = lambda m: m.string if isinstance(m.string, tuple) else (m.string,)  # noqa: E731
    missing = [m.id for m in catalog if m.id and (m.fuzzy or not all(forms(m)))]
    assert missing == []
    assert template_ids <= {m.id for m in catalog if m.id}, "run `make extract-messages`"


@pytest.mark.parametrize(
    ("language", "sign_in"),
    [("pl", "Zaloguj"), ("ru", "Войти"), ("uk", "Увійти"), ("be", "Увайсці")],
)
def test_pages_follow_accept_language(client, language, sign_in):
    page = client.get("/login", headers={"Accept-Language": language}).get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert sign_in in page


def test_language_switcher_remembers_the_choice(client):
    client.post("/language", data={"language": "uk", "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="uk">' in page


def test_signed_in_user_keeps_the_language_in_their_account(client, admin):
    login(client, admin)
    client.post("/language", data={"language": "pl"})
    db.session.refresh(admin)
    assert admin.locale == "pl"


def test_error_pages_are_translated(client):
    page = client.get("/nothing", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert '<html lang="pl">' in page
    assert "There is nothing at this address." not in page


def test_form_errors_are_translated(client):
    response = client.post(
        "/login", data={"email": "not-an-email", "password": ""}, headers={"Accept-Language": "ru"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter a valid e-mail address" not in page
    assert "Enter your password." not in page


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(1, "1 godzinę"), (72, "72 godziny"), (48, "48 godzin"), (25, "25 godzin")],
)
def test_numbers_take_the_right_plural_form(app, hours, expected):
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("pl"):
        text = ngettext(
            "Invitation sent. The link is valid for %(num)d hour.",
            "Invitation sent. The link is valid for %(num)d hours.",
            hours,
        )
    assert expected in text


def test_language_choice_survives_sign_in_and_out(client, make_user):
    user = make_user("funder")
    client.post("/language", data={"language": "be"})
    login(client, user)
    client.post("/logout")
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="be">' in page


# What templates render with the gettext and format_date bound once per render
# (ngo.i18n.bound_translations) must be what Flask-Babel's own template globals render.
BOUND_TEMPLATE = """
{{ _("The person's story is written with them and verified by a second staff member.") }}
{{ _("Appeals") }}|{{ gettext("Status") }}
{{ _("%(raised)s of %(goal)s", raised=raised, goal="€4") }}
{{ ngettext("%(num)d appeal", "%(num)d appeals", 1) }}
{{ ngettext("%(num)d appeal", "%(num)d appeals", 7) }}
{{ format_date(day) }}|{{ format_date(late) }}|{{ format_date(late, rebase=False) }}
{{ format_date(day, "short") }}|{{ format_date(late, "yyyy-MM-dd") }}|{{ current_locale() }}
{% for n in [1, 2] %}{{ _("Status") }}|{{ _("100%% of <b>") }}|{{ format_date(late) }}|{% endfor %}
{% autoescape false %}{{ _("Status") }}|{{ _("a < b") }}{% endautoescape %}
"""


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_bound_translations_render_what_flask_babel_renders(app, language):
    from datetime import date, datetime

    from flask import render_template_string

    values = {
        "raised": "<b>€1</b>",  # escaped in both
        "day": date(2026, 2, 28),
        "late": datetime(2026, 12, 31, 23, 59, 59),  # naive UTC, the last second of a day
    }
    with app.test_request_context("/", headers={"Accept-Language": language}):
        bound = render_template_string(BOUND_TEMPLATE, **values)
        plain = app.jinja_env.from_string(BOUND_TEMPLATE).render(**values)
    assert bound == plain
    assert "&lt;b&gt;€1&lt;/b&gt;" in bound and "7" in bound
    assert "&#39;" not in bound  # a translation is markup: its apostrophe stays as written
