"""Accounts and credentials: creating and running users, checking passwords, bearer tokens and page sessions.

Every change to an account made by an admin is signed with the admin's own password and audited with a
reason; the console (`flask user ...`) makes the same changes for the first admin and for recovery."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import string
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.config import LoginPolicy
from tracker.db import UnitOfWork, find_one, utcnow
from tracker.errors import Conflict, Invalid, NotFound, TooManyAttempts, Unauthorized
from tracker.roles import ROLES, Actor
from tracker.sites import rules as site_rules
from tracker.sites.services import known_sites
from tracker.translation import N_
from tracker.users import rules
from tracker.users.models import ApiToken, LoginAttempt, PageSession, User

_hasher = PasswordHasher()
# Checked when a user name is unknown or locked out, so that every refusal takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")

SIGN_IN = "sign_in"
SIGNATURE = "signature"
DEFAULT_MEANING = "I approve this change to the account"


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id, username=user.username, full_name=user.full_name, role=user.role,
        password_change_required=user.password_change_required, sites=site_rules.parse_codes(user.site_codes),
    )  # fmt: skip


def _account(user: User) -> dict[str, Any]:
    """What the trail records of an account (never a password or its hash). `enabled`, not `active`: the
    trail never carries an arm's name, not even as a word about something else."""
    return {
        "full_name": user.full_name, "role": user.role, "enabled": user.active,
        "sites": list(site_rules.parse_codes(user.site_codes)),
    }  # fmt: skip


def temporary_password() -> str:
    """A one-time password: 16 random letters and digits with a dash, shown once."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(8))
        candidate += "-" + "".join(secrets.choice(alphabet) for _ in range(8))
        if not rules.password_problems(candidate, ""):
            return candidate


def _checked_new_user(username: str, role: str, full_name: str) -> tuple[str, str]:
    username = (username or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not rules.USERNAME_PATTERN.match(username):
        errors["username"] = ["must start with a letter and use only a-z, 0-9, dot, dash or underscore"]
    if role not in ROLES:
        errors["role"] = [f"must be one of: {', '.join(ROLES)}"]
    if errors:
        raise Invalid("The user cannot be created", details=errors)
    return username, (full_name or "").strip() or username


def _refuse_weak(password: str, username: str, field: str = "password") -> None:
    problems = rules.password_problems(password, username)
    if problems:
        raise Invalid(
            "The password is too weak: " + "; ".join(problems),
            code="weak_password",
            details={field: problems},
        )


def _insert_user(
    uow: UnitOfWork, actor: Actor, username: str, role: str, password: str, full_name: str,
    *, one_time: bool, signature: dict[str, Any] | None = None, sites: tuple[str, ...] = (),
) -> User:  # fmt: skip
    session = uow.session
    sites = known_sites(session, sites)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(
            N_("A user named %(user)s already exists"), params={"user": username}, code="user_exists"
        )
    user = User(
        username=username, full_name=full_name, role=role, password_hash=_hasher.hash(password), active=True,
        created_at=utcnow(), password_change_required=one_time, site_codes=site_rules.codes_text(sites),
    )  # fmt: skip
    session.add(user)
    session.flush()
    after = {"username": username, **_account(user), "password_change_required": one_time}
    if signature:
        after["signature"] = signature
    record_event(session, actor, "create", "user", username, after=after)
    return user


def create_user(
    uow: UnitOfWork, actor: Actor, username: str, role: str, password: str, full_name: str = "",
    sites: tuple[str, ...] = (),
) -> Actor:  # fmt: skip
    """A user with a password of their own (the console's `user add`, the demo): no change is forced."""
    username, full_name = _checked_new_user(username, role, full_name)
    _refuse_weak(password, username)
    with uow:
        user = _insert_user(uow, actor, username, role, password, full_name, one_time=False, sites=sites)
        uow.commit()
        return actor_of(user)


def _signature(actor: Actor, meaning: str | None) -> dict[str, Any]:
    return {
        "signed_by": actor.username,
        "full_name": actor.full_name,
        "signed_at": utcnow(),
        "meaning": (meaning or "").strip() or DEFAULT_MEANING,
    }


def add_user(
    uow: UnitOfWork, admin: Actor, data: dict[str, Any], policy: LoginPolicy
) -> tuple[dict[str, Any], str]:
    """An admin adds a user, signing with their own password; the user gets a one-time password."""
    username, full_name = _checked_new_user(data["username"], data["role"], data.get("full_name", ""))
    reauthenticate(uow, admin, data["password"], policy)
    password = temporary_password()
    with uow:
        _insert_user(
            uow, admin, username, data["role"], password, full_name, one_time=True,
            signature=_signature(admin, data.get("meaning")), sites=site_rules.parse_codes(data.get("sites")),
        )  # fmt: skip
        uow.commit()
    return account_view(uow, username, policy), password


# ---- sign-in, signatures and their throttle ----


def _failures(session: Session, username: str, purpose: str, client_address: str, since: dt.datetime) -> int:
    """Failed checks since the later of `since` and the last success, for one name (and, for sign-ins, one
    client address: a guesser elsewhere cannot lock the ward out)."""
    scope = [LoginAttempt.username == username, LoginAttempt.purpose == purpose]
    if purpose == SIGN_IN:
        scope.append(LoginAttempt.client_address == client_address)
    last_success = session.execute(
        select(func.max(LoginAttempt.at)).where(*scope, LoginAttempt.succeeded)
    ).scalar()
    if last_success is not None and last_success > since:
        since = last_success
    return session.execute(
        select(func.count()).where(*scope, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
    ).scalar_one()


def _lockout_start(window_start: dt.datetime, unlocked_at: dt.datetime | None) -> dt.datetime:
    """Failures count from the lockout window's start, or from an admin's later unlock."""
    return max(window_start, unlocked_at) if unlocked_at else window_start


def _password_matches(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password(
    uow: UnitOfWork,
    username: str,
    password: str,
    policy: LoginPolicy,
    *,
    client_address: str = "",
    purpose: str = SIGN_IN,
) -> Actor:
    """The actor whose password this is. Every attempt is kept; repeated failures lock the name out for the
    client address that failed (sign-in) or for further signatures (a signature), never both."""
    username = (username or "").strip().lower()
    now = utcnow()
    window_start = now - dt.timedelta(minutes=policy.lockout_minutes)
    with uow:
        user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        since = _lockout_start(window_start, user.unlocked_at if user is not None else None)
        failures = _failures(uow.session, username, purpose, client_address, since)
        if rules.locked_out(failures, policy.max_failures):
            _password_matches(None, password or "")  # the same time as a wrong password: no timing oracle
            what = "sign-ins from this address" if purpose == SIGN_IN else "signatures"
            raise TooManyAttempts(
                f"Too many wrong passwords: {what} for this name are locked for {policy.lockout_minutes} "
                "minutes, or until an admin unlocks them",
                code="locked_out",
            )
        ok = _password_matches(user, password or "") and user is not None and user.active
        uow.session.add(
            LoginAttempt(
                username=username, at=now, succeeded=ok, purpose=purpose, client_address=client_address
            )
        )
        uow.commit()
    if not ok:
        raise Unauthorized("The user name or password is wrong", code="invalid_credentials")
    return actor_of(user)


def reauthenticate(uow: UnitOfWork, actor: Actor, password: str, policy: LoginPolicy) -> None:
    """A signature re-checks the signer's own password (21 CFR 11.200), counted apart from sign-ins."""
    try:
        check_password(uow, actor.username, password, policy, purpose=SIGNATURE)
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
        User.password_change_required,
        User.site_codes,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)


def _actor_of_row(row: Any) -> Actor:
    return Actor(
        user_id=row.id, username=row.username, full_name=row.full_name, role=row.role,
        password_change_required=row.password_change_required, sites=site_rules.parse_codes(row.site_codes),
    )  # fmt: skip


def resolve_token(uow: UnitOfWork, token: str) -> Actor:
    with uow:
        row = uow.session.connection().execute(_TOKEN_LOOKUP, {"digest": _digest(token)}).first()
        if row is None or not row.active or not rules.token_usable(row.expires_at, row.revoked_at, utcnow()):
            raise Unauthorized(
                "The token is missing, expired or revoked, or the account is disabled: sign in again",
                code="invalid_token",
            )
        return _actor_of_row(row)


def revoke_token(uow: UnitOfWork, actor: Actor, token: str) -> None:
    with uow:
        row = uow.session.execute(select(ApiToken).where(ApiToken.token_hash == _digest(token))).scalar_one()
        row.revoked_at = utcnow()
        record_event(uow.session, actor, "sign_out", "user", actor.username, after={"channel": "api"})
        uow.commit()


def begin_page_session(uow: UnitOfWork, actor: Actor, policy: LoginPolicy) -> str:
    """A signed-in browser's token, kept in its (signed) cookie; the server keeps only its digest."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with uow:
        uow.session.add(
            PageSession(
                user_id=actor.user_id, token_hash=_digest(token), created_at=now,
                expires_at=now + dt.timedelta(hours=policy.session_hours),
            )
        )  # fmt: skip
        record_event(uow.session, actor, "sign_in", "user", actor.username, after={"channel": "pages"})
        uow.commit()
    return token


_SESSION_LOOKUP = (
    select(
        PageSession.expires_at,
        PageSession.ended_at,
        User.id,
        User.username,
        User.full_name,
        User.role,
        User.active,
        User.password_change_required,
        User.site_codes,
    )
    .join(User, User.id == PageSession.user_id)
    .where(PageSession.token_hash == bindparam("digest"))
)


def resolve_page_session(uow: UnitOfWork, token: str) -> Actor | None:
    """The session's user, or None when it was ended (sign-out, disabled user), expired or never existed."""
    with uow:
        row = uow.session.connection().execute(_SESSION_LOOKUP, {"digest": _digest(token)}).first()
        if row is None or not row.active or not rules.token_usable(row.expires_at, row.ended_at, utcnow()):
            return None
        return _actor_of_row(row)


def end_page_session(uow: UnitOfWork, token: str) -> None:
    with uow:
        found = uow.session.execute(
            select(PageSession, User)
            .join(User, User.id == PageSession.user_id)
            .where(PageSession.token_hash == _digest(token), PageSession.ended_at.is_(None))
        ).first()
        if found is None:
            return
        page_session, user = found
        page_session.ended_at = utcnow()
        record_event(
            uow.session, actor_of(user), "sign_out", "user", user.username, after={"channel": "pages"}
        )
        uow.commit()


def _end_sessions_and_tokens(session: Session, user_id: int) -> None:
    now = utcnow()
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(PageSession)
        .where(PageSession.user_id == user_id, PageSession.ended_at.is_(None))
        .values(ended_at=now)
    )


# ---- passwords ----


def change_own_password(
    uow: UnitOfWork, actor: Actor, current_password: str, new_password: str, policy: LoginPolicy
) -> None:
    """Every user changes their own password with the current one; a one-time password must be changed so."""
    reauthenticate(uow, actor, current_password, policy)
    _refuse_weak(new_password, actor.username, field="new_password")
    if new_password == current_password:
        raise Invalid(
            N_("The new password must differ from the current one"),
            code="weak_password",
            details={"new_password": ["it must differ from the current password"]},
        )
    with uow:
        user = _user(uow.session, actor.username, lock=True)
        user.password_hash = _hasher.hash(new_password)
        was_one_time = user.password_change_required
        user.password_change_required = False
        user.password_changed_at = utcnow()
        record_event(
            uow.session, actor, "change_password", "user", user.username,
            after={"replaced_one_time_password": was_one_time},
        )  # fmt: skip
        uow.commit()


# ---- the admin's work ----


def _user(session: Session, username: str, *, lock: bool = False) -> User:
    query = select(User).where(User.username == (username or "").strip().lower())
    missing = NotFound(N_("No user is named %(user)s"), params={"user": username}, code="user_not_found")
    return find_one(session, query, missing, lock=lock)


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(N_("Say why the account is changed"), details={"reason": ["a reason is required"]})
    return reason


def _refuse_removing_last_admin(session: Session, user: User, stays_active_admin: bool) -> None:
    # The active admins' rows are locked, so two admins removing each other at once cannot both succeed.
    admins = session.execute(select(User.id).where(User.role == "admin", User.active).with_for_update()).all()
    if rules.removes_last_admin(
        len(admins),
        is_active_admin=user.active and user.role == "admin",
        stays_active_admin=stays_active_admin,
    ):
        raise Conflict(
            N_("%(user)s is the last active admin: add or enable another admin first"),
            params={"user": user.username},
            code="last_admin",
        )


def update_user(
    uow: UnitOfWork,
    actor: Actor,
    username: str,
    changes: dict[str, Any],
    reason: str,
    *,
    signature: dict[str, Any] | None = None,
) -> None:
    """Disable, enable, change the role or the name of a user. Disabling ends the user's sessions and tokens
    at once. The last active admin cannot be disabled or lose the role."""
    reason = _reason(reason)
    changes = {
        k: v for k, v in changes.items() if k in ("active", "role", "full_name", "sites") and v is not None
    }
    if "active" in changes:
        changes["enabled"] = changes.pop("active")
    if "role" in changes and changes["role"] not in ROLES:
        raise Invalid("The role is unknown", details={"role": [f"must be one of: {', '.join(ROLES)}"]})
    if "full_name" in changes:
        changes["full_name"] = changes["full_name"].strip()
        if not changes["full_name"]:
            raise Invalid("The name is empty", details={"full_name": ["give the person's printed name"]})
    if not changes:
        raise Invalid(
            "Say what to change: active, role, full_name or sites", details={"_schema": ["nothing to change"]}
        )
    with uow:
        session = uow.session
        if "sites" in changes:
            changes["sites"] = list(known_sites(session, site_rules.parse_codes(changes["sites"])))
        user = _user(session, username, lock=True)
        before = _account(user)
        after = {**before, **changes}
        if after == before:
            raise Conflict(
                N_("%(user)s already is so: nothing to change"),
                params={"user": user.username},
                code="no_change",
            )
        _refuse_removing_last_admin(
            session, user, stays_active_admin=after["enabled"] and after["role"] == "admin"
        )
        user.active, user.role, user.full_name = after["enabled"], after["role"], after["full_name"]
        user.site_codes = site_rules.codes_text(after["sites"])
        if not user.active:
            _end_sessions_and_tokens(session, user.id)
        if before["enabled"] != after["enabled"]:
            action = "enable" if after["enabled"] else "disable"
        else:
            action = "update"
        record_event(
            session, actor, action, "user", user.username, before=before,
            after={**after, **({"signature": signature} if signature else {})}, reason=reason,
        )  # fmt: skip
        uow.commit()


def update_user_signed(
    uow: UnitOfWork, admin: Actor, username: str, data: dict[str, Any], policy: LoginPolicy
) -> None:
    _reason(data.get("reason"))
    with uow:
        _user(uow.session, username)  # an unknown user answers 404 without spending a password attempt
    reauthenticate(uow, admin, data["password"], policy)
    update_user(uow, admin, username, data, data["reason"], signature=_signature(admin, data.get("meaning")))


def reset_password(
    uow: UnitOfWork, actor: Actor, username: str, reason: str, *, signature: dict[str, Any] | None = None
) -> str:
    """A new one-time password for a user who forgot theirs; their sessions and tokens end."""
    reason = _reason(reason)
    password = temporary_password()
    with uow:
        user = _user(uow.session, username, lock=True)
        user.password_hash = _hasher.hash(password)
        user.password_change_required = True
        user.password_changed_at = utcnow()
        _end_sessions_and_tokens(uow.session, user.id)
        record_event(
            uow.session, actor, "reset_password", "user", user.username, reason=reason,
            after={"password_change_required": True, **({"signature": signature} if signature else {})},
        )  # fmt: skip
        uow.commit()
    return password


def reset_password_signed(
    uow: UnitOfWork, admin: Actor, username: str, data: dict[str, Any], policy: LoginPolicy
) -> str:
    _reason(data.get("reason"))
    with uow:
        _user(uow.session, username)
    reauthenticate(uow, admin, data["password"], policy)
    return reset_password(
        uow, admin, username, data["reason"], signature=_signature(admin, data.get("meaning"))
    )


def unlock(uow: UnitOfWork, actor: Actor, username: str, reason: str) -> None:
    """Failed sign-ins and signatures so far no longer count: the user may try again at once."""
    reason = _reason(reason)
    with uow:
        user = _user(uow.session, username, lock=True)
        user.unlocked_at = utcnow()
        record_event(
            uow.session, actor, "unlock", "user", user.username, reason=reason, after={"unlocked": True}
        )
        uow.commit()


# ---- reading accounts ----


def _locked_names(session: Session, policy: LoginPolicy, now: dt.datetime) -> set[str]:
    """Names with a lockout in force now, from any address or for signatures."""
    window_start = now - dt.timedelta(minutes=policy.lockout_minutes)
    # Only names with enough failures in the window can be locked; each is then judged as a sign-in would be.
    candidates = session.execute(
        select(LoginAttempt.username, LoginAttempt.purpose, LoginAttempt.client_address, User.unlocked_at)
        .join(User, User.username == LoginAttempt.username, isouter=True)
        .where(LoginAttempt.succeeded.is_(False), LoginAttempt.at > window_start)
        .group_by(LoginAttempt.username, LoginAttempt.purpose, LoginAttempt.client_address, User.unlocked_at)
        .having(func.count() >= policy.max_failures)
    ).all()
    locked = set()
    for username, purpose, address, unlocked_at in candidates:
        since = _lockout_start(window_start, unlocked_at)
        if rules.locked_out(_failures(session, username, purpose, address, since), policy.max_failures):
            locked.add(username)
    return locked


def _last_sign_ins(session: Session) -> dict[str, dt.datetime]:
    rows = session.execute(
        select(LoginAttempt.username, func.max(LoginAttempt.at))
        .where(LoginAttempt.succeeded, LoginAttempt.purpose == SIGN_IN)
        .group_by(LoginAttempt.username)
    ).all()
    return dict(rows)


def _view(user: User, locked: set[str], last: dict[str, dt.datetime]) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "active": user.active,
        "locked": user.username in locked,
        "password_change_required": user.password_change_required,
        "last_sign_in_at": last.get(user.username),
        "created_at": user.created_at,
        "password_changed_at": user.password_changed_at,
        "sites": list(site_rules.parse_codes(user.site_codes)),
    }


def list_accounts(uow: UnitOfWork, policy: LoginPolicy) -> list[dict[str, Any]]:
    with uow:
        session = uow.session
        locked = _locked_names(session, policy, utcnow())
        last = _last_sign_ins(session)
        users = session.execute(select(User).order_by(User.username)).scalars()
        return [_view(user, locked, last) for user in users]


def account_view(uow: UnitOfWork, username: str, policy: LoginPolicy) -> dict[str, Any]:
    with uow:
        session = uow.session
        user = _user(session, username)
        return _view(user, _locked_names(session, policy, utcnow()), _last_sign_ins(session))


def any_user_exists(uow: UnitOfWork) -> bool:
    with uow:
        return uow.session.execute(select(User.id).limit(1)).first() is not None
