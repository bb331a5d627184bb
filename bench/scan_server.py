"""The WSGI app the scan benchmark serves under gunicorn: the shipped app, plus (here only, never in the
shipped app) the floor route `POST /bench/floor` that does the least a recorded scan must: one primary-key
read and two inserts in one write transaction, with the same engine and database settings.

`BENCH_DATABASE_URL` names the scratch database; the floor's two tables are created by the benchmark."""

from __future__ import annotations

import os

from flask import Blueprint, jsonify, request
from sqlalchemy import JSON, Column, DateTime, Integer, LargeBinary, MetaData, String, Table, insert, select

from bench.seed import app_config
from tracker import create_app, csrf
from tracker.db import utcnow
from tracker.pharmacy.models import Bag
from tracker.web.context import uow

FLOOR_METADATA = MetaData()
FLOOR_SCAN = Table(
    "bench_floor_scan", FLOOR_METADATA,
    Column("id", Integer, primary_key=True),
    Column("bag_pk", Integer),
    Column("participant_id", String(40)),
    Column("result", String(30)),
    Column("at", DateTime),
    Column("username", String(64)),
)  # fmt: skip
FLOOR_EVENT = Table(
    "bench_floor_event", FLOOR_METADATA,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime),
    Column("entity_id", String(80)),
    Column("after", JSON),
    Column("canonical", LargeBinary),
)  # fmt: skip

floor_bp = Blueprint("bench_floor", __name__, url_prefix="/bench")


@floor_bp.post("/floor")
def floor():  # noqa: ANN201
    body = request.get_json()
    with uow() as work:
        conn = work.session.connection()
        bag = conn.execute(select(Bag.bag_id, Bag.status).where(Bag.id == body["bag_pk"])).one()
        now = utcnow().replace(tzinfo=None)
        conn.execute(
            insert(FLOOR_SCAN),
            {"bag_pk": body["bag_pk"], "participant_id": body["participant_id"], "result": "match", "at": now,
             "username": "bench_nurse"},
        )  # fmt: skip
        conn.execute(
            insert(FLOOR_EVENT),
            {"at": now, "entity_id": bag.bag_id, "after": {"participant_id": body["participant_id"]},
             "canonical": b'{"bench":"floor"}'},
        )  # fmt: skip
        work.commit()
    return jsonify({"match": True, "bag_id": bag.bag_id, "participant_id": body["participant_id"]})


def build_app():  # noqa: ANN201
    application = create_app(app_config(os.environ["BENCH_DATABASE_URL"], AUTO_MIGRATE=False))
    csrf.exempt(floor_bp)
    application.register_blueprint(floor_bp)
    return application


app = build_app() if "BENCH_DATABASE_URL" in os.environ else None
