"""Pure decisions about accounts: password strength, lockout, token validity, the last admin."""

from __future__ import annotations

import datetime as dt
import re

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from tracker.translation import N_

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
# zxcvbn's list of the 30,000 most common passwords (from leaked password sets), shipped in its package.
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
# zxcvbn's score 3 means "safely unguessable" (about 10^8 guesses); below that a password falls to an
# online or slow offline attack. Only the first 64 characters are scored: the rest cannot make it weaker.
MIN_STRENGTH_SCORE = 3
_SCORED_LENGTH = 64

TOO_SHORT = N_("it must have at least 10 characters")
COMMON = N_("it is one of the most common passwords")
HAS_USERNAME = N_("it must not contain the user name")
GUESSABLE = N_("it is easy to guess (a common word, name, date, keyboard pattern or repetition): add words")


def password_problems(password: str, username: str) -> list[str]:
    """Why a new password is refused, in words (each one marked for translation); empty when it is good."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [TOO_SHORT]
    problems = []
    if password.lower() in COMMON_PASSWORDS:
        problems.append(COMMON)
    if username and username.lower() in password.lower():
        problems.append(HAS_USERNAME)
    if (
        not problems
        and zxcvbn(password[:_SCORED_LENGTH], user_inputs=[username])["score"] < MIN_STRENGTH_SCORE
    ):
        problems.append(GUESSABLE)
    return problems


def locked_out(failures_in_window: int, max_failures: int) -> bool:
    return failures_in_window >= max_failures


def token_usable(expires_at: dt.datetime, revoked_at: dt.datetime | None, now: dt.datetime) -> bool:
    return revoked_at is None and now < expires_at


def removes_last_admin(active_admins: int, *, is_active_admin: bool, stays_active_admin: bool) -> bool:
    """A change that would leave no active admin to run the accounts."""
    return is_active_admin and not stays_active_admin and active_admins <= 1
