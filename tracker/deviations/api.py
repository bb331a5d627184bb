"""The deviation API: raise, list, read, move on, close (signed). Answers are blinded for blinded roles."""

from __future__ import annotations

from flask import g

from tracker.deviations import rules, services
from tracker.deviations.schemas import (
    CloseIn,
    DeviationBlinded,
    DeviationIn,
    DeviationListBlinded,
    DeviationListUnblinded,
    DeviationQuery,
    DeviationUnblinded,
    TransitionIn,
)
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import login_policy, reader, uow

bp = api_blueprint("deviations_api", __name__)

# Every role that may raise also reads; QA manages.
READERS = tuple(dict.fromkeys((*rules.MANAGERS, *rules.RAISERS)))
_ONE = {False: DeviationBlinded(), True: DeviationUnblinded()}
_MANY = {False: DeviationListBlinded(), True: DeviationListUnblinded()}
# A deviation without a bag fits both shapes, hence anyOf.
_EITHER = {"anyOf": [DeviationBlinded, DeviationUnblinded]}


@endpoint(bp, "/deviations", "POST", roles=rules.RAISERS, summary="Raise a deviation by hand",
          body=DeviationIn, answers={201: _EITHER})  # fmt: skip
def raise_deviation(body: dict):
    return answer(_ONE[g.actor.unblinded], services.raise_deviation(uow(), g.actor, body), 201)


@endpoint(bp, "/deviations", "GET", roles=READERS, summary="Deviations, oldest first (filters: state, "
          "category, overdue)", query=DeviationQuery,
          answers={200: {"anyOf": [DeviationListBlinded, DeviationListUnblinded]}})  # fmt: skip
def list_deviations(query: dict):
    items = services.list_deviations(reader(), g.actor, **query)
    return answer(_MANY[g.actor.unblinded], {"items": items})


@endpoint(bp, "/deviations/<deviation_id>", "GET", roles=READERS, summary="A deviation",
          answers={200: _EITHER})  # fmt: skip
def get_deviation(deviation_id: str):
    return answer(_ONE[g.actor.unblinded], services.get_deviation(reader(), g.actor, deviation_id))


@endpoint(bp, "/deviations/<deviation_id>/transition", "POST", roles=rules.MANAGERS,
          summary="Move a deviation on (investigation, CAPA defined), with the text the step needs",
          body=TransitionIn, answers={200: _EITHER})  # fmt: skip
def transition(deviation_id: str, body: dict):
    target = body.pop("to")
    changed = services.transition(uow(), g.actor, deviation_id, target, body)
    return answer(_ONE[g.actor.unblinded], changed)


@endpoint(bp, "/deviations/<deviation_id>/close", "POST", roles=rules.MANAGERS,
          summary="Close a deviation whose CAPA is defined (signed)", body=CloseIn,
          answers={200: _EITHER})  # fmt: skip
def close(deviation_id: str, body: dict):
    closed = services.close(uow(), g.actor, deviation_id, body["password"], body["meaning"], login_policy())
    return answer(_ONE[g.actor.unblinded], closed)
