"""Tokens of e-mailed links stay out of access logs: the links carry them after "#", the forms
post them, and gunicorn's logger redacts the few addresses that still hold one."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask, request, request_started
from gunicorn.config import Config

from ngo.access_log import REDACTED, RedactingLogger, redact
from ngo.accounts import invitations, password_reset, tokens
from ngo.campaigns import subscriptions
from tests.campaigns import appeal_fixtures
from tests.campaigns.appeal_fixtures import publish_update
from tests.conftest import link_in, sent_mail
from tests.helpers import open_link, split_link

REPO = Path(__file__).resolve().parents[1]
FOLLOW_TOKEN = secrets.token_urlsafe(32)
SIGNED_TOKEN = "eyJpZCI6MSwibiI6InhYeFh4WHhYeFh4WHhYeFh4In0.Zr9a-0-b_Q1xxbPbdA3cRfK1sVg"

alexander, published, sample_documents_once, staff = (
    appeal_fixtures.alexander,
    appeal_fixtures.published,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
)


# The filter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        f'POST /follow/{FOLLOW_TOKEN}/unsubscribe HTTP/1.1" 200',
        f"GET /follow/{FOLLOW_TOKEN}/confirm HTTP/1.1",
        f"GET /invitation/{SIGNED_TOKEN} HTTP/1.1",
        f"GET /password/reset/{SIGNED_TOKEN}?x=1 HTTP/1.1",
        f'"http://ngo.example/follow/{FOLLOW_TOKEN}/unsubscribe" "Mozilla/5.0"',
        f"GET /anything?a=1&token={FOLLOW_TOKEN}&b=2 HTTP/1.1",
    ],
    # Not the lines: FOLLOW_TOKEN is new in each process, and pytest-xdist's workers must
    # collect the same test ids.
    ids=["unsubscribe", "confirm", "invitation", "password-reset", "referrer", "query"],
)
def test_the_filter_takes_out_every_kind_of_token(line):
    cleaned = redact(line)
    assert FOLLOW_TOKEN not in cleaned and SIGNED_TOKEN not in cleaned
    assert REDACTED in cleaned


@pytest.mark.parametrize(
    "line",
    [
        "GET /appeals/help-alexander-rebuild-his-life-in-bialystok HTTP/1.1",
        "POST /appeals/help-alexander-rebuild-his-life/follow HTTP/1.1",
        "GET /appeals/help-alexander-rebuild-his-life/follow/sent HTTP/1.1",
        "POST /invitation/accept HTTP/1.1",
        "POST /password/reset/new HTTP/1.1",
        "GET /follow/unsubscribe HTTP/1.1",
        "GET /invitation HTTP/1.1",
    ],
)
def test_the_filter_leaves_other_addresses_alone(line):
    assert redact(line) == line


# Tokens that name public things: an image's token is in every public page that shows it.
PUBLIC_TOKEN_ROUTES = {"/media/<token>"}


def test_every_route_that_takes_a_token_is_covered(app: Flask):
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if any(name.endswith("token") for name in rule.arguments)
        and rule.rule not in PUBLIC_TOKEN_ROUTES
    ]
    assert len(rules) >= 5  # invitation, reset, follow confirm and two unsubscribe routes
    adapter = app.url_map.bind("ngo.test")
    for rule in rules:
        for token in (FOLLOW_TOKEN, SIGNED_TOKEN):
            values = {name: token if name.endswith("token") else "x" for name in rule.arguments}
            path = adapter.build(rule.endpoint, values)
            assert token not in redact(f"GET {path} HTTP/1.1"), rule.rule


def _logger(tmp_path: Path, access_log_format: str | None = None) -> tuple[RedactingLogger, Path]:
    cfg = Config()
    log_file = tmp_path / "access.log"
    cfg.set("accesslog", str(log_file))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    if access_log_format:
        cfg.set("access_log_format", access_log_format)
    return RedactingLogger(cfg), log_file


def test_gunicorn_writes_the_line_without_the_token(tmp_path):
    logger, log_file = _logger(
        tmp_path, '%(h)s "%(r)s" %(U)s %(q)s "%(f)s" %({referer}i)s %({raw_uri}e)s'
    )
    path = f"/follow/{FOLLOW_TOKEN}/unsubscribe"
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"{path}?token={FOLLOW_TOKEN}",
        "PATH_INFO": path,
        "QUERY_STRING": f"token={FOLLOW_TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.5",
        "HTTP_REFERER": f"https://ngo.example/invitation/{SIGNED_TOKEN}",
        "raw_uri": path,
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request_ = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])

    logger.access(response, request_, environ, timedelta(milliseconds=3))
    logger.error("Error handling request %s", path)
    for handler in logger.access_log.handlers + logger.error_log.handlers:
        handler.flush()

    written = log_file.read_text() + (tmp_path / "error.log").read_text()
    assert "/follow/[redacted]/unsubscribe" in written
    assert FOLLOW_TOKEN not in written
    assert SIGNED_TOKEN not in written
    assert "203.0.113.5" in written  # the rest of the line is untouched


def test_gunicorn_uses_the_filter_when_started_as_the_procfile_and_image_start_it(tmp_path):
    # Both start gunicorn in the repository's root (the image's WORKDIR is a copy of it),
    # where gunicorn reads gunicorn.conf.py by itself.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NGO_", "GUNICORN"))}
    env["NGO_INSTANCE_PATH"] = str(tmp_path / "instance")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--print-config", "ngo:create_app()"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ngo.access_log.RedactingLogger" in result.stdout


# The flows -------------------------------------------------------------------------------


@pytest.fixture
def requested(app: Flask) -> list[str]:
    """Every address the app was asked for, with its query string and Referer."""
    seen: list[str] = []

    def record(sender: Flask, **extra: object) -> None:
        seen.append(request.full_path)
        seen.append(request.headers.get("Referer", ""))

    request_started.connect(record, app)
    yield seen
    request_started.disconnect(record, app)


def _assert_nowhere(token: str, requested: list[str]) -> None:
    assert token
    assert requested
    assert not [path for path in requested if token in path]


def test_joining_through_an_invitation_never_puts_its_token_in_an_address(
    app, admin_client, browser, requested
):
    admin_client.post(
        "/admin/users/invite",
        data={"email": "new.colleague@example.net", "role": "verifier", "locale": "en"},
    )
    link = link_in(sent_mail(app)[0])
    invitee = browser()

    form = open_link(invitee, link)
    assert form.status_code == 200
    accepted = invitee.post(
        "/invitation/accept",
        data={
            "token": split_link(link)[1],
            "display_name": "New Colleague",
            "password": "a long and fresh passphrase",
            "confirm": "a long and fresh passphrase",
        },
    )
    assert accepted.headers["Location"] == "/two-factor/setup"
    _assert_nowhere(split_link(link)[1], requested)


def test_a_password_reset_never_puts_its_token_in_an_address(app, client, make_user, requested):
    user = make_user("caseworker")
    client.post("/password/forgot", data={"email": user.email})
    link = link_in(sent_mail(app)[0])

    assert open_link(client, link).status_code == 200
    done = client.post(
        "/password/reset/new",
        data={
            "token": split_link(link)[1],
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert done.status_code == 302
    _assert_nowhere(split_link(link)[1], requested)


def test_following_and_stopping_never_put_the_token_in_an_address(
    app, client, published, staff, requested
):
    client.post(f"/appeals/{published.slug}/follow", data={"follow-email": "r@example.org"})
    confirm_link = link_in(sent_mail(app)[0])
    page, token = split_link(confirm_link)
    assert client.get(page).status_code == 200
    assert "You follow this appeal" in client.post(page, data={"token": token}).get_data(True)
    publish_update(
        published, staff["caseworker"], staff["verifier"], title="News", body_markdown="Well."
    )
    from ngo.extensions import db

    db.session.commit()
    news = sent_mail(app)[-1]
    unsubscribe_link = next(
        line for line in news.get_body(("plain",)).get_content().split() if "#" in line
    ).removeprefix("http://ngo.test")
    assert split_link(unsubscribe_link) == ("/follow/unsubscribe", token)
    page, _ = split_link(unsubscribe_link)
    assert client.get(page).status_code == 200
    assert "No more e-mails" in client.post(page, data={"token": token}).get_data(True)
    _assert_nowhere(token, requested)


# Links sent before the tokens moved ------------------------------------------------------


def test_links_in_older_mails_are_sent_on_to_the_new_address(app, client, make_user, published):
    user = make_user("caseworker")
    reset = password_reset.request_password_reset(user.email)
    subscription = subscriptions.subscribe(published, "old.reader@example.org", "en")
    from ngo.extensions import db

    db.session.commit()
    reset_token = password_reset.password_reset_token(reset)
    invitation_token = tokens.make_link_token(invitations.INVITATION_LINK, 1, "n")
    for old, new in (
        (f"/password/reset/{reset_token}", f"/password/reset#{reset_token}"),
        (f"/invitation/{invitation_token}", f"/invitation#{invitation_token}"),
        (f"/follow/{subscription.token}/confirm", f"/follow/confirm#{subscription.token}"),
        (f"/follow/{subscription.token}/unsubscribe", f"/follow/unsubscribe#{subscription.token}"),
    ):
        response = client.get(old)
        assert response.status_code == 303, old
        assert response.headers["Location"] == new
    # Opening a link changes nothing, even at the old address.
    db.session.expire_all()
    assert subscription.confirmed_at is None and subscription.unsubscribed_at is None
