"""The unit of work (ngo/unit_of_work.py): one commit per request after the view, none for a
read, a refusal rolled back onto its form, the explicit exceptions, tasks' transactions.

The routes here exist for these tests only; each writes an organisation named after the
request, so that what was kept can be read back."""

from __future__ import annotations

import pytest
from flask import Blueprint, abort
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import FormField, StringField

from ngo import audit
from ngo.accounts.models import Organisation
from ngo.extensions import db
from ngo.rules import RuleError
from ngo.unit_of_work import (
    ReadOnlyRequestError,
    attempt,
    audited_read,
    commit_even_if_refused,
    has_uncommitted_work,
    transaction,
    transactional,
)


class Inner(FlaskForm):
    class Meta:
        csrf = False

    evidence = StringField()


class NameForm(FlaskForm):
    name = StringField()
    other = StringField()
    identity = FormField(Inner)


def _write(name: str) -> None:
    db.session.add(Organisation(name=name))
    db.session.flush()


def _refuse(field: str | None = None) -> None:
    _write("written before the refusal")
    raise RuleError("Not like this.", field=field)


@pytest.fixture
def client(app, client):
    bp = Blueprint("uow_test", __name__, url_prefix="/_uow")

    @bp.route("/write/<name>/<int:status>", methods=["GET", "POST"])
    def write(name: str, status: int):
        _write(name)
        return "written", status

    @bp.post("/raise/<name>")
    def write_then_raise(name: str):
        _write(name)
        raise LookupError("a bug after the write")

    @bp.post("/abort/<name>")
    def write_then_abort(name: str):
        _write(name)
        abort(409)

    @bp.post("/refused/<name>")
    def counted_then_refused(name: str):
        with commit_even_if_refused():
            _write(name)
        _write(f"{name} after the block")
        return "refused", 400

    @bp.post("/refused-over-work/<name>")
    def refused_over_work(name: str):
        _write(name)
        with commit_even_if_refused():
            _write(f"{name} in the block")
        return "", 200

    @bp.route("/audited/<name>", methods=["GET", "POST"])
    def audited(name: str):
        with audited_read():
            audit.record("test.viewed", actor_id=None, organisation_id=None, object_id=name)
        return "seen", 404 if name == "missing" else 200

    @bp.get("/audited-write/<name>")
    def audited_write(name: str):
        with audited_read():
            _write(name)
        return "", 200

    @bp.get("/statement")
    def statement_on_get():
        db.session.execute(Organisation.__table__.update().values(name="renamed"))
        return "", 200

    @bp.post("/attempt/<field>")
    def attempt_view(field: str):
        form = NameForm(meta={"csrf": False})
        refused = attempt(form, lambda: _refuse(None if field == "none" else field))
        assert not refused and refused.message == "Not like this."
        assert not has_uncommitted_work()
        return {
            "name": list(form.name.errors),
            "evidence": list(form.identity.form.evidence.errors),
            "above": list(form.form_errors),
        }, 200

    @bp.post("/attempt-ok/<name>")
    def attempt_ok(name: str):
        done = attempt(None, lambda: _write(name) or name)
        return done.value, 302

    app.register_blueprint(bp)
    return client


def stored(name: str) -> int:
    return db.session.scalar(select(func.count(Organisation.id)).where(Organisation.name == name))


def viewed(name: str) -> int:
    return db.session.scalar(
        select(func.count(audit.AuditEvent.id)).where(audit.AuditEvent.object_id == name)
    )


@pytest.mark.parametrize("status", [200, 201, 302, 303])
def test_a_post_answered_below_400_commits(client, status):
    assert client.post(f"/_uow/write/kept-{status}/{status}").status_code == status
    assert stored(f"kept-{status}") == 1


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422, 500])
def test_a_post_answered_400_or_more_keeps_nothing(client, status):
    """A form rendered again with its errors (400), or any other deliberate refusal."""
    assert client.post(f"/_uow/write/dropped-{status}/{status}").status_code == status
    assert stored(f"dropped-{status}") == 0


def test_an_exception_after_a_write_keeps_nothing(client):
    with pytest.raises(LookupError):
        client.post("/_uow/raise/crashed")
    assert stored("crashed") == 0


def test_an_abort_after_a_write_keeps_nothing(client):
    assert client.post("/_uow/abort/aborted").status_code == 409
    assert stored("aborted") == 0


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_read_that_writes_is_refused(client, method):
    with pytest.raises(ReadOnlyRequestError):
        getattr(client, method)("/_uow/write/from-a-read/200")
    assert stored("from-a-read") == 0


def test_a_read_that_runs_an_update_statement_is_refused(client, organisation):
    with pytest.raises(ReadOnlyRequestError):
        client.get("/_uow/statement")
    assert stored("renamed") == 0


def test_commit_even_if_refused_keeps_its_block_only(client):
    assert client.post("/_uow/refused/counted").status_code == 400
    assert stored("counted") == 1
    assert stored("counted after the block") == 0


def test_commit_even_if_refused_will_not_carry_earlier_work(client):
    with pytest.raises(RuntimeError, match="unrelated work"):
        client.post("/_uow/refused-over-work/earlier")
    assert stored("earlier") == 0
    assert stored("earlier in the block") == 0


@pytest.mark.parametrize("status", [200, 404])
def test_an_audited_read_keeps_its_audit_event_on_get_whatever_the_status(client, status):
    name = "missing" if status == 404 else "someone"
    assert client.get(f"/_uow/audited/{name}").status_code == status
    assert viewed(name) == 1


def test_an_audited_read_may_write_nothing_but_audit_events(client):
    with pytest.raises(ReadOnlyRequestError):
        client.get("/_uow/audited-write/sneaked-in")
    assert stored("sneaked-in") == 0


@pytest.mark.parametrize(
    ("field", "where"),
    [("name", "name"), ("identity-evidence", "evidence"), ("none", "above"), ("nosuch", "above")],
)
def test_attempt_rolls_a_refusal_back_onto_its_field(client, field, where):
    answer = client.post(f"/_uow/attempt/{field}").get_json()
    assert answer[where] == ["Not like this."]
    assert sum(len(errors) for errors in answer.values()) == 1
    assert stored("written before the refusal") == 0


def test_attempt_commits_nothing_itself_the_request_does(client):
    assert client.post("/_uow/attempt-ok/attempted").status_code == 302
    assert stored("attempted") == 1


def test_show_on_form_falls_back_to_the_named_field(app):
    form = NameForm(meta={"csrf": False}, formdata=None)
    with app.test_request_context("/", method="POST"):
        done = attempt(form, lambda: _refuse("nosuch"), field="other")
    assert form.other.errors == ["Not like this."]
    assert not done


def test_transaction_commits_at_the_end_and_rolls_back_on_an_exception(app):
    with transaction():
        _write("task done")
    with pytest.raises(RuleError), transaction():
        _refuse()
    assert stored("task done") == 1
    assert stored("written before the refusal") == 0

    @transactional
    def task(name: str) -> str:
        _write(name)
        return name

    assert task("decorated") == "decorated"
    assert stored("decorated") == 1
