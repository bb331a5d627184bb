"""Pure decisions about accounts: password strength, lockout, token validity."""

from __future__ import annotations

import datetime as dt
import re

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")


def password_problems(password: str, username: str) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    classes = sum(
        bool(re.search(pattern, password)) for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")
    )
    if classes < 3:
        problems.append("must mix at least three of: lower case, upper case, digits, symbols")
    if username and username.lower() in password.lower():
        problems.append("must not contain the user name")
    return problems


def locked_out(failures_in_window: int, max_failures: int) -> bool:
    return failures_in_window >= max_failures


def token_usable(expires_at: dt.datetime, revoked_at: dt.datetime | None, now: dt.datetime) -> bool:
    return revoked_at is None and now < expires_at
