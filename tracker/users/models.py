"""User accounts, bearer tokens and page sessions (both stored hashed), and password checks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]
    # A one-time password (set by an admin) must be replaced at the next sign-in.
    password_change_required: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[dt.datetime | None]
    # Failed sign-ins before this time no longer count towards a lockout (an admin's unlock).
    unlocked_at: Mapped[dt.datetime | None]
    # The codes of the sites this person works for, separated by spaces; empty: the whole trial.
    site_codes: Mapped[str] = mapped_column(String(200), default="")


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class PageSession(Base):
    """A signed-in browser: its cookie carries the token, the server keeps its digest, so signing out or
    disabling the user ends it whatever copy of the cookie is replayed."""

    __tablename__ = "page_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]


class LoginAttempt(Base):
    """Every password check, kept to throttle guessing: sign-ins per name and client address, signatures
    apart (a wrong signature password never locks the sign-in)."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime]
    succeeded: Mapped[bool]
    purpose: Mapped[str] = mapped_column(String(12), default="sign_in")
    client_address: Mapped[str] = mapped_column(String(64), default="")
