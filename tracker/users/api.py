"""Sign-in for API clients (bearer tokens), a user's own password, and the admin's account controls."""

from flask import g

from tracker.roles import ROLES
from tracker.users import services
from tracker.users.schemas import (
    Account,
    AccountChange,
    AccountList,
    NewAccount,
    NewAccountAnswer,
    PasswordChange,
    PasswordChanged,
    PasswordReset,
    PasswordResetAnswer,
    SignedOut,
    TokenAnswer,
    TokenRequest,
    Unlock,
)
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import login_policy, reader, uow
from tracker.web.guard import PUBLIC, bearer_token, client_address

bp = api_blueprint("users_api", __name__)
ADMIN = ("admin",)


@endpoint(
    bp, "/auth/token", "POST", roles=PUBLIC, summary="Sign in", body=TokenRequest, answers={200: TokenAnswer}
)
def issue_token(body: dict):
    actor = services.check_password(
        uow(), body["username"], body["password"], login_policy(), client_address=client_address()
    )
    token, expires_at = services.issue_token(uow(), actor, login_policy())
    return answer(
        TokenAnswer(),
        {
            "token": token, "expires_at": expires_at, "username": actor.username, "role": actor.role,
            "password_change_required": actor.password_change_required,
        },
    )  # fmt: skip


@endpoint(bp, "/auth/token", "DELETE", roles=ROLES, summary="Revoke this token", answers={200: SignedOut})
def revoke_token():
    services.revoke_token(uow(), g.actor, bearer_token())
    return answer(SignedOut(), {"revoked": True})


@endpoint(
    bp, "/auth/password", "POST", roles=ROLES, summary="Change your own password", body=PasswordChange,
    answers={200: PasswordChanged}, before_password_change=True,
)  # fmt: skip
def change_password(body: dict):
    services.change_own_password(
        uow(), g.actor, body["current_password"], body["new_password"], login_policy()
    )
    return answer(PasswordChanged(), {"changed": True})


@endpoint(
    bp, "/users", "GET", roles=ADMIN, trial_wide=True, summary="Every account", answers={200: AccountList}
)
def list_users():
    return answer(AccountList(), {"items": services.list_accounts(reader(), login_policy())})


@endpoint(
    bp, "/users", "POST", roles=ADMIN, summary="Add a user (signed); answers a one-time password, once",
    trial_wide=True, body=NewAccount, answers={201: NewAccountAnswer},
)  # fmt: skip
def add_user(body: dict):
    account, password = services.add_user(uow(), g.actor, body, login_policy())
    return answer(NewAccountAnswer(), {**account, "temporary_password": password}, 201)


@endpoint(
    bp,
    "/users/<username>",
    "GET",
    roles=ADMIN,
    trial_wide=True,
    summary="One account",
    answers={200: Account},
)
def show_user(username: str):
    return answer(Account(), services.account_view(reader(), username, login_policy()))


@endpoint(
    bp, "/users/<username>", "PATCH", roles=ADMIN, trial_wide=True,
    summary="Disable, enable, change the role or name of a user (signed, with a reason)",
    body=AccountChange, answers={200: Account},
)  # fmt: skip
def change_user(username: str, body: dict):
    services.update_user_signed(uow(), g.actor, username, body, login_policy())
    return answer(Account(), services.account_view(reader(), username, login_policy()))


@endpoint(
    bp, "/users/<username>/password-reset", "POST", roles=ADMIN, trial_wide=True,
    summary="A new one-time password for a user (signed, with a reason)", body=PasswordReset,
    answers={200: PasswordResetAnswer},
)  # fmt: skip
def reset_password(username: str, body: dict):
    password = services.reset_password_signed(uow(), g.actor, username, body, login_policy())
    return answer(
        PasswordResetAnswer(), {"username": username.strip().lower(), "temporary_password": password}
    )


@endpoint(
    bp, "/users/<username>/unlock", "POST", roles=ADMIN, summary="Lift a lockout (with a reason)",
    trial_wide=True, body=Unlock, answers={200: Account},
)  # fmt: skip
def unlock_user(username: str, body: dict):
    services.unlock(uow(), g.actor, username, body["reason"])
    return answer(Account(), services.account_view(reader(), username, login_policy()))
