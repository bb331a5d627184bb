"""Sign-in for API clients: bearer tokens."""

from flask import g

from tracker.roles import ROLES
from tracker.users import services
from tracker.users.schemas import SignedOut, TokenAnswer, TokenRequest
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import login_policy, uow
from tracker.web.guard import PUBLIC, bearer_token

bp = api_blueprint("users_api", __name__)


@endpoint(
    bp, "/auth/token", "POST", roles=PUBLIC, summary="Sign in", body=TokenRequest, answers={200: TokenAnswer}
)
def issue_token(body: dict):
    actor = services.check_password(uow(), body["username"], body["password"], login_policy())
    token, expires_at = services.issue_token(uow(), actor, login_policy())
    return answer(
        TokenAnswer(),
        {"token": token, "expires_at": expires_at, "username": actor.username, "role": actor.role},
    )


@endpoint(bp, "/auth/token", "DELETE", roles=ROLES, summary="Revoke this token", answers={200: SignedOut})
def revoke_token():
    services.revoke_token(uow(), g.actor, bearer_token())
    return answer(SignedOut(), {"revoked": True})
