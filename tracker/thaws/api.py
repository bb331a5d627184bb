"""Thaw routes (pharmacist)."""

from flask import g

from tracker.thaws import services
from tracker.thaws.schemas import ThawAnswer, ThawList, ThawRequest
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import reader, uow

bp = api_blueprint("thaws_api", __name__)


@endpoint(bp, "/thaws", "POST", roles=("pharmacist",), summary="Record the thaw of a UC-MSC container",
          body=ThawRequest, answers={201: ThawAnswer})  # fmt: skip
def record_thaw(body: dict):
    return answer(ThawAnswer(), services.record_thaw(uow(), g.actor, body), 201)


@endpoint(bp, "/thaws", "GET", roles=("pharmacist",), summary="Usable thaws whose window is open",
          answers={200: ThawList})  # fmt: skip
def list_thaws():
    return answer(ThawList(), {"items": services.list_open_thaws(reader())})


@endpoint(bp, "/thaws/<thaw_id>", "GET", roles=("pharmacist",), summary="One thaw", answers={200: ThawAnswer})
def get_thaw(thaw_id: str):
    return answer(ThawAnswer(), services.get_thaw(reader(), thaw_id))
