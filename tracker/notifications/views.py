"""The QA notifications page: the outbox, newest first, with whether each was e-mailed."""

from __future__ import annotations

from flask import Blueprint, render_template

from tracker.notifications.services import list_notifications
from tracker.translation import N_
from tracker.web.context import reader
from tracker.web.guard import requires

bp = Blueprint("notifications_pages", __name__)

# A notification's audience is a role (named in tracker.web.i18n.ROLE_NAMES) or the sponsor.
AUDIENCE_NAMES = (N_("sponsor"),)


@bp.get("/notifications")
@requires("qa", "admin")
def index():
    return render_template("notifications/index.html", notifications=list_notifications(reader()))
