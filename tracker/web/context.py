"""Access to the app's database and settings from inside a request or CLI command."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tracker.db import UnitOfWork
from tracker.users.services import LoginPolicy


@dataclass
class TrackerState:
    engine: Engine
    session_factory: sessionmaker[Session]
    login_policy: LoginPolicy


def state() -> TrackerState:
    return current_app.extensions["tracker"]


def uow(*, write: bool = True) -> UnitOfWork:
    return UnitOfWork(state().session_factory, write=write)


def reader() -> UnitOfWork:
    return uow(write=False)


def lookup() -> UnitOfWork:
    """A read of one statement (see UnitOfWork): the bearer token of every API call."""
    return UnitOfWork(state().session_factory, write=False, lookup=True)


def login_policy() -> LoginPolicy:
    return state().login_policy
