"""One unit of work per request, task and command: who commits, and when.

Services change state and flush; they never commit. Whoever started the work owns its
transaction, through this module:

* A web request (`init_app`). After the view returns, a response below 400 commits and
  anything else rolls back: an exception (abort() included), and a 4xx or 5xx that a view
  returns on purpose, such as a form rendered again with its errors, which must leave no
  partial record. A GET, HEAD or OPTIONS request never writes: the session refuses to flush
  during one (`ReadOnlyRequestError`), and at its end whatever it read is rolled back.
* A refusal (`ngo.rules.RuleError` and its subclasses): `attempt(form, call)` runs one service
  call, and on a refusal rolls back what the call did, puts the message at its field of the
  form and tells the view, which renders the form again (the request then rolls back too).
* Work that must stay although the request is refused runs in `commit_even_if_refused()`: a
  wrong password or code counts towards the sign-in pause however the request ends. The block
  commits at its end, and only its own work: it refuses to start over uncommitted changes.
* Viewing personal data is recorded in the audit log, on GET too (the threat model wants every
  look at a person's data on record). That is the one write a read may do, and it goes through
  its own explicit door, `audited_read()`: inside it a GET may add audit events and nothing
  else, and they are committed at the end of the block, before the page leaves, whatever the
  page's status.
* Celery tasks, outbox handlers and CLI commands: `transaction()` (or `@transactional`) commits
  at the end of the block and rolls back if anything is raised. Work that commits in several
  steps on purpose (a claim before its delivery, a batch of a long rotation) uses one block
  per step.

A core module: it knows the session and the rule error, and no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, Generic, ParamSpec, TypeVar

from flask import Flask, current_app, g, has_app_context, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from werkzeug.wrappers import Response

from ngo.extensions import db, listen
from ngo.rules import RuleError, show_on_form

T = TypeVar("T")
P = ParamSpec("P")

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set in `g` while a read-only request is dispatched, and while an audited read runs in one.
_READ_ONLY = "_uow_read_only"
_AUDITED_READ = "_uow_audited_read"
# In session.info: something was written since the transaction began (flushed or DML).
_WROTE = "uow_wrote"
_EXTENSION = "ngo.unit_of_work"


class ReadOnlyRequestError(RuntimeError):
    """A GET, HEAD or OPTIONS request tried to write. A bug: reads never change state (mail
    scanners and prefetching browsers open links), and the write would be lost anyway."""


# Requests ---------------------------------------------------------------------------------


def init_app(app: Flask, *, audit_records: tuple[type, ...] = ()) -> None:
    """Call before any other hook is registered: the commit then runs after every other
    after_request hook, once the response is complete. `audit_records` are the models an
    audited read may add (the audit log's events)."""
    app.extensions[_EXTENSION] = frozenset(audit_records)
    app.before_request(_begin_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
    for identifier, listener in _SESSION_LISTENERS:
        listen(Session, identifier, listener)


def _begin_request() -> None:
    if request.method in READ_ONLY_METHODS:
        setattr(g, _READ_ONLY, True)


def _finish_request(response: Response) -> Response:
    if request.method in READ_ONLY_METHODS:
        # Nothing was written: closing ends the transaction as a rollback would, without
        # expiring every object read first (a rollback's cost, a tenth of a fresh page's).
        # This hook runs last, so nothing reads those objects afterwards.
        db.session.close()
    elif response.status_code >= 400:
        db.session.rollback()
    else:
        # An error here (a constraint, a lost serialisation race) becomes a 500, and this hook
        # runs again for that response and rolls back: the answer prepared is never sent.
        db.session.commit()
    return response


def _end_request(exc: BaseException | None) -> None:
    # After an exception no after_request hook ran. Flask-SQLAlchemy removes the session when
    # the app context ends; rolling back here says so where the rest of the rule is.
    if exc is not None:
        db.session.rollback()
    g.pop(_READ_ONLY, None)
    g.pop(_AUDITED_READ, None)


def _is_guarded(session: Session) -> bool:
    return has_app_context() and bool(g.get(_READ_ONLY)) and session is db.session()


def _refuse_flush_on_read(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    if not _is_guarded(session):
        return
    modified = [obj for obj in session.dirty if session.is_modified(obj)]
    written = [*session.new, *modified, *session.deleted]
    if g.get(_AUDITED_READ):
        records = tuple(current_app.extensions[_EXTENSION])
        written = [obj for obj in written if not (obj in session.new and isinstance(obj, records))]
    if written:
        kinds = ", ".join(sorted({type(obj).__name__ for obj in written}))
        raise ReadOnlyRequestError(
            f"{request.method} {request.url_rule} tried to write {kinds}: reads never write "
            "(the audit of a personal-data view goes through audited_read)"
        )


def _refuse_statement_on_read(state: ORMExecuteState) -> None:
    if _is_dml(state) and _is_guarded(state.session):
        raise ReadOnlyRequestError(
            f"{request.method} {request.url_rule} ran an INSERT, UPDATE or DELETE: reads "
            "never write"
        )


def _is_dml(state: ORMExecuteState) -> bool:
    return bool(state.is_insert or state.is_update or state.is_delete)


def _note_flush(session: Session, _context: UOWTransaction) -> None:
    session.info[_WROTE] = True


def _note_statement(state: ORMExecuteState) -> None:
    if _is_dml(state):
        state.session.info[_WROTE] = True


def note_write(session: Session, *, with_audit_record: bool = False) -> None:
    """Before a write run on the session's connection (Core, which the session's hooks do
    not see): refused in a read-only request as a flush would be, and remembered for
    `has_uncommitted_work`. `with_audit_record`: the write goes with an audit event added in
    the same transaction (the audit chain's head), and is allowed where that event is, in an
    audited read."""
    if _is_guarded(session) and not (with_audit_record and g.get(_AUDITED_READ)):
        raise ReadOnlyRequestError(
            f"{request.method} {request.url_rule} ran an INSERT or UPDATE: reads never write"
        )
    session.info[_WROTE] = True


def _forget_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


_SESSION_LISTENERS: list[tuple[str, Callable[..., Any]]] = [
    ("before_flush", _refuse_flush_on_read),
    ("do_orm_execute", _refuse_statement_on_read),
    ("after_flush", _note_flush),
    ("do_orm_execute", _note_statement),
    ("after_transaction_end", _forget_writes),
]


def has_uncommitted_work(session: Session | None = None) -> bool:
    """Whether the session holds changes not committed yet (pending, or flushed since the
    transaction began)."""
    session = session or db.session()
    if session.new or session.deleted:
        return True
    if any(session.is_modified(obj) for obj in session.dirty):
        return True
    return bool(session.info.get(_WROTE))


# Refusals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt(Generic[T]):
    """What `attempt` did: the service's result, or the refusal it raised (rolled back)."""

    result: T | None = None
    refusal: RuleError | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    def __bool__(self) -> bool:
        return self.ok

    @property
    def value(self) -> T:
        """The result of a call that was not refused."""
        if self.refusal is not None:
            raise RuntimeError("the call was refused; it has no result")
        return self.result  # type: ignore[return-value]

    @property
    def message(self) -> str:
        """The refusal, as said to the user ("" if there was none)."""
        return "" if self.refusal is None else str(self.refusal.message)


def attempt(form: Any | None, call: Callable[[], T], *, field: str | None = None) -> Attempt[T]:
    """Run one service call for a view. A refusal rolls back everything the request did so
    far, so that the page rendered next shows the stored state and nothing partial can be
    committed; its message goes to the form field it names, else to `field`, else above the
    form (with no form, the view shows `Attempt.message` itself). On success nothing is
    committed yet: the request commits once the view has returned its redirect or page."""
    try:
        result = call()
    except RuleError as exc:
        db.session.rollback()
        if form is not None:
            show_on_form(form, exc, fallback=field)
        return Attempt(refusal=exc)
    return Attempt(result=result)


def retry_on_conflict(call: Callable[[], T]) -> T:
    """Run `call`, and once more if it lost a race for a unique value (two requests creating
    the same row at once): the rollback forgets the losing insert, and the second run finds
    the row the other request made. Anything the request did before is rolled back too."""
    try:
        return call()
    except IntegrityError:
        db.session.rollback()
        return call()


@contextmanager
def commit_even_if_refused() -> Iterator[None]:
    """Commit the block's work now, whatever the request's answer will be.

    The one exception to "a refused request keeps nothing", for writes whose point is to
    outlive the refusal: a wrong password or second-factor code counts towards the sign-in
    pause (ngo.accounts.signin), and is then refused. Refuses to start if the session holds
    other uncommitted work, which the commit would otherwise carry along."""
    session = db.session()
    if has_uncommitted_work(session):
        raise RuntimeError("commit_even_if_refused would commit earlier, unrelated work too")
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()


@contextmanager
def audited_read() -> Iterator[None]:
    """Record in the audit log that personal data is being shown, from any request, GET
    included: inside the block the session may add audit events (nothing else), and they
    are committed at its end, before the page leaves, even if its status is 4xx (a form
    rendered again shows the data too). Like commit_even_if_refused, it starts only on a
    session with no other uncommitted work."""
    in_app = has_app_context()
    outer = bool(g.get(_AUDITED_READ)) if in_app else False
    if in_app:
        setattr(g, _AUDITED_READ, True)
    try:
        with commit_even_if_refused():
            yield
    finally:
        if in_app:
            setattr(g, _AUDITED_READ, outer)


# Tasks and commands -----------------------------------------------------------------------


@contextmanager
def transaction() -> Iterator[Session]:
    """The unit of work of a Celery task, an outbox handler, a CLI command or one step of a
    longer job: commit at the end of the block, roll back if anything (a RuleError too) is
    raised, and let the exception go on."""
    session = db.session()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


def transactional(func: Callable[P, T]) -> Callable[P, T]:
    """`transaction()` around a whole function: for tasks and commands that are one step."""

    @wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with transaction():
            return func(*args, **kwargs)

    return run
