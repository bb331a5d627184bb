"""Accounts and credentials: creating users, checking passwords, issuing and resolving bearer tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.db import UnitOfWork, utcnow
from tracker.errors import Conflict, Forbidden, Invalid, TooManyAttempts, Unauthorized
from tracker.roles import ROLES, Actor
from tracker.users import rules
from tracker.users.models import ApiToken, LoginAttempt, User

_hasher = PasswordHasher()
# Checked when a user name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout_minutes: int = 15
    token_ttl_minutes: int = 480


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, full_name=user.full_name, role=user.role)


def create_user(
    uow: UnitOfWork, actor: Actor, username: str, role: str, password: str, full_name: str = ""
) -> Actor:
    username = username.strip().lower()
    errors: dict[str, list[str]] = {}
    if not rules.USERNAME_PATTERN.match(username):
        errors["username"] = ["must start with a letter and use only a-z, 0-9, dot, dash or underscore"]
    if role not in ROLES:
        errors["role"] = [f"must be one of: {', '.join(ROLES)}"]
    problems = rules.password_problems(password, username)
    if problems:
        errors["password"] = problems
    if errors:
        raise Invalid("The user cannot be created", details=errors)
    with uow:
        if uow.session.execute(select(User.id).where(User.username == username)).first():
            raise Conflict(f"A user named {username} already exists", code="user_exists")
        user = User(
            username=username,
            full_name=full_name.strip() or username,
            role=role,
            password_hash=_hasher.hash(password),
            active=True,
            created_at=utcnow(),
        )
        uow.session.add(user)
        uow.session.flush()
        record_event(
            uow.session, actor, "create", "user", username,
            after={"username": username, "full_name": user.full_name, "role": role, "enabled": True},
        )  # fmt: skip
        uow.commit()
        return actor_of(user)


def _recent_failures(session: Session, username: str, policy: LoginPolicy, now: dt.datetime) -> int:
    window_start = now - dt.timedelta(minutes=policy.lockout_minutes)
    last_success = session.execute(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.succeeded)
    ).scalar()
    since = max(window_start, last_success) if last_success else window_start
    return session.execute(
        select(func.count()).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
        )
    ).scalar_one()


def _password_matches(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password(uow: UnitOfWork, username: str, password: str, policy: LoginPolicy) -> Actor:
    """The actor whose password this is; every attempt is kept and repeated failures lock the name out."""
    username = (username or "").strip().lower()
    now = utcnow()
    with uow:
        if rules.locked_out(_recent_failures(uow.session, username, policy, now), policy.max_failures):
            raise TooManyAttempts(
                f"Too many failed attempts: try again in {policy.lockout_minutes} minutes", code="locked_out"
            )
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        ok = _password_matches(user, password or "") and user is not None and user.active
        uow.session.add(LoginAttempt(username=username, at=now, succeeded=ok))
        uow.commit()
    if not ok:
        raise Unauthorized("The user name or password is wrong", code="invalid_credentials")
    return actor_of(user)


def reauthenticate(uow: UnitOfWork, actor: Actor, password: str, policy: LoginPolicy) -> None:
    """A signature re-checks the signer's own password (21 CFR 11.200)."""
    try:
        check_password(uow, actor.username, password, policy)
    except Unauthorized:
        raise Unauthorized("The password is wrong: nothing was signed", code="wrong_password") from None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(uow: UnitOfWork, actor: Actor, policy: LoginPolicy) -> tuple[str, dt.datetime]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + dt.timedelta(minutes=policy.token_ttl_minutes)
    with uow:
        uow.session.add(
            ApiToken(user_id=actor.user_id, token_hash=_digest(token), created_at=now, expires_at=expires_at)
        )
        record_event(uow.session, actor, "sign_in", "user", actor.username, after={"channel": "api"})
        uow.commit()
    return token, expires_at


# Every API call resolves its token: columns, not entities, and built once (the statement's cache key is all
# SQLAlchemy computes per call).
_TOKEN_LOOKUP = (
    select(
        ApiToken.expires_at,
        ApiToken.revoked_at,
        User.id,
        User.username,
        User.full_name,
        User.role,
        User.active,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)


def resolve_token(uow: UnitOfWork, token: str) -> Actor:
    with uow:
        row = uow.session.connection().execute(_TOKEN_LOOKUP, {"digest": _digest(token)}).first()
        if row is None or not rules.token_usable(row.expires_at, row.revoked_at, utcnow()):
            raise Unauthorized(
                "The token is missing, expired or revoked: sign in again", code="invalid_token"
            )
        if not row.active:
            raise Forbidden("This account is disabled", code="account_disabled")
        return Actor(user_id=row.id, username=row.username, full_name=row.full_name, role=row.role)


def revoke_token(uow: UnitOfWork, actor: Actor, token: str) -> None:
    with uow:
        row = uow.session.execute(select(ApiToken).where(ApiToken.token_hash == _digest(token))).scalar_one()
        row.revoked_at = utcnow()
        record_event(uow.session, actor, "sign_out", "user", actor.username, after={"channel": "api"})
        uow.commit()


def get_actor(uow: UnitOfWork, user_id: int) -> Actor | None:
    with uow:
        user = uow.session.get(User, user_id)
        return actor_of(user) if user is not None and user.active else None
