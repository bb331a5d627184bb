"""The statistician's list-status page: codes used per stratum and each list's commitment."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from tracker.randomization import services
from tracker.web.context import reader
from tracker.web.guard import requires

bp = Blueprint("randomization_pages", __name__)


@bp.get("/randomization")
@requires("statistician")
def status():
    return render_template("randomization/status.html", lists=services.list_status(reader(), g.actor))
