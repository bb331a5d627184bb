"""Access to the app's database and settings from inside a request or CLI command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tracker.config import LoginPolicy
from tracker.db import UnitOfWork
from tracker.replica import ReplicaReads
from tracker.roles import Actor


@dataclass(frozen=True)
class Accounts:
    """What the web edge asks of the accounts feature: who a bearer token or a page session belongs to, and
    signing in and out. create_app hands it in, so that the web edge imports no feature."""

    resolve_token: Callable[[UnitOfWork, str], Actor]
    resolve_page_session: Callable[[UnitOfWork, str], Actor | None]
    check_password: Callable[..., Actor]
    begin_page_session: Callable[[UnitOfWork, Actor, LoginPolicy], str]
    end_page_session: Callable[[UnitOfWork, str], None]
    any_user_exists: Callable[[UnitOfWork], bool]


@dataclass
class TrackerState:
    engine: Engine
    session_factory: sessionmaker[Session]
    login_policy: LoginPolicy
    accounts: Accounts
    replica: ReplicaReads | None = None


def state() -> TrackerState:
    return current_app.extensions["tracker"]


def _sites() -> tuple[str, ...] | None:
    """The sites the request's person works for; None for the whole trial (or nobody signed in)."""
    actor = g.get("actor")
    return actor.sites if actor is not None and actor.sites else None


def uow(*, write: bool = True) -> UnitOfWork:
    """A unit of work for the request's person: one who works for some sites reads only theirs."""
    return UnitOfWork(state().session_factory, write=write, sites=_sites())


def reader() -> UnitOfWork:
    return uow(write=False)


def report_reader() -> UnitOfWork:
    """A read for a report, an export or audit verification: from the replica when one is configured and has
    replayed everything the primary had committed when the request first asked (tracker/replica.py), else from
    the primary. The choice is made once per request, so that all its reads come from one place."""
    tracker = state()
    if tracker.replica is None:
        return reader()
    if "read_from_replica" not in g:
        g.read_from_replica = tracker.replica.use_replica()
    if not g.read_from_replica:
        return reader()
    return UnitOfWork(tracker.replica.session_factory, write=False, sites=_sites())


def lookup() -> UnitOfWork:
    """A read of one statement (see UnitOfWork): the bearer token of every API call."""
    return UnitOfWork(state().session_factory, write=False, lookup=True)


def login_policy() -> LoginPolicy:
    return state().login_policy


def accounts() -> Accounts:
    return state().accounts
