"""Deviation pages: QA's board (/deviations: counts by state and age, overdue list, filtered list), the
raise form, and a deviation's page with its history and the forms that move it on."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from tracker.audit.wording import VALUE_WORDS
from tracker.deviations import rules, services
from tracker.deviations.schemas import CloseIn, DeviationIn, DeviationQuery, TransitionIn
from tracker.errors import DomainError
from tracker.translation import N_
from tracker.web.context import login_policy, reader, uow
from tracker.web.forms import FormRefused, form_data, load_form, refusal
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("deviations_pages", __name__)

READERS = tuple(dict.fromkeys((*rules.MANAGERS, *rules.RAISERS)))
WORKSPACES.append((N_("Deviations and CAPA"), "deviations_pages.board", READERS))

# The words the pages show for the stored values (templates translate them): the audit trail's words for
# the same values, so a deviation's page and its history say the same.
CATEGORY_NAMES = VALUE_WORDS["category"]
STATE_NAMES = VALUE_WORDS["state"]
ACTION_NAMES = {"raise": N_("raised"), "transition": N_("moved on"), "close": N_("closed, signed")}
AGE_NAMES = {"lt_7": N_("Under 7 days"), "7_to_30": N_("7 to 30 days"), "gt_30": N_("Over 30 days")}
_TIME_FIELDS = ("due_at", "capa_due_at")


def _names() -> dict:
    return {
        "category_names": CATEGORY_NAMES, "state_names": STATE_NAMES, "age_names": AGE_NAMES,
        "action_names": ACTION_NAMES,
    }  # fmt: skip


@bp.get("/deviations")
@requires(*READERS)
def board():
    raw = {k: v for k, v in request.args.items() if v and k in ("state", "category", "overdue")}
    try:
        filters = DeviationQuery().load(raw)
    except Exception:  # noqa: BLE001 - an unknown filter value shows everything
        filters = {}
    counts = services.board(reader(), g.actor)
    items = services.list_deviations(reader(), g.actor, **filters)
    return render_template(
        "deviations/board.html", counts=counts, items=items, filters=raw, states=rules.STATES,
        categories=rules.CATEGORIES, **_names(),
    )  # fmt: skip


@bp.route("/deviations/new", methods=["GET", "POST"])
@requires(*rules.RAISERS)
def new():
    error, details, status = None, {}, 200
    if request.method == "POST":
        data = form_data(request.form, tuple(DeviationIn().fields), time_fields=_TIME_FIELDS)
        try:
            raised = services.raise_deviation(uow(), g.actor, load_form(DeviationIn, data))
        except (DomainError, FormRefused) as exc:
            error, status, details = refusal(exc)
        else:
            return redirect(url_for("deviations_pages.detail", deviation_id=raised["deviation_id"]))
    return render_template(
        "deviations/new.html", form=request.form, error=error, details=details, categories=rules.CATEGORIES,
        **_names(),
    ), status  # fmt: skip


def _detail(deviation_id: str, error: str | None = None, details: dict | None = None, status: int = 200):
    deviation = services.get_deviation(reader(), g.actor, deviation_id)
    history = services.deviation_history(reader(), g.actor, deviation_id)
    return render_template(
        "deviations/detail.html", d=deviation, history=history, error=error, details=details or {},
        form=request.form, **_names(),
    ), status  # fmt: skip


@bp.get("/deviations/<deviation_id>")
@requires(*READERS)
def detail(deviation_id: str):
    return _detail(deviation_id)


@bp.post("/deviations/<deviation_id>/transition")
@requires(*rules.MANAGERS)
def transition(deviation_id: str):
    data = form_data(request.form, tuple(TransitionIn().fields), time_fields=_TIME_FIELDS)
    try:
        body = load_form(TransitionIn, data)
        services.transition(uow(), g.actor, deviation_id, body.pop("to"), body)
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _detail(deviation_id, message, details, status)
    return redirect(url_for("deviations_pages.detail", deviation_id=deviation_id))


@bp.post("/deviations/<deviation_id>/close")
@requires(*rules.MANAGERS)
def close(deviation_id: str):
    data = form_data(request.form, ("password", "meaning"))
    try:
        body = load_form(CloseIn, data)
        services.close(uow(), g.actor, deviation_id, body["password"], body["meaning"], login_policy())
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _detail(deviation_id, message, details, status)
    return redirect(url_for("deviations_pages.detail", deviation_id=deviation_id))
