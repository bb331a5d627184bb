"""The storage API: units, container moves, readings posted by devices, logger file imports. GMP and the
pharmacy manage, QA reads; no blinded ward role gets any of it."""

from __future__ import annotations

from flask import current_app, g, request

from tracker.errors import Invalid
from tracker.storage import rules, services
from tracker.storage.schemas import (
    ImportQuery,
    MoveIn,
    MoveOut,
    PeriodQuery,
    ReadingsIn,
    ReadingsOut,
    UnitDetail,
    UnitIn,
    UnitList,
    UnitOut,
)
from tracker.translation import N_
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import reader, uow

bp = api_blueprint("storage_api", __name__)

MAX_LOGGER_BYTES = rules.MAX_LOGGER_BYTES


@bp.url_value_preprocessor
def _logger_files_are_larger(endpoint: str | None, values: dict | None) -> None:
    """A logger file may be larger than the app's request limit (a year of minute readings is 16 MB): the
    limit is raised for the import alone, before anything reads the body."""
    if endpoint == "storage_api.import_logger":
        request.max_content_length = MAX_LOGGER_BYTES


@endpoint(bp, "/storage-units", "POST", roles=rules.MANAGERS, summary="Create a storage unit (its kind's "
          "range comes from the study)", body=UnitIn, answers={201: UnitOut})  # fmt: skip
def create_unit(body: dict):
    return answer(UnitOut(), services.create_unit(uow(), g.actor, body), 201)


@endpoint(bp, "/storage-units", "GET", roles=rules.READERS,
          summary="Storage units with their latest reading and status", answers={200: UnitList})  # fmt: skip
def list_units():
    return answer(UnitList(), {"items": services.list_units(reader(), g.actor)})


@endpoint(bp, "/storage-units/<unit_id>", "GET", roles=rules.READERS, query=PeriodQuery,
          summary="A storage unit: readings, excursions and time out of range over a period (default the "
          "last 7 days), and its contents", answers={200: UnitDetail})  # fmt: skip
def get_unit(unit_id: str, query: dict):
    return answer(UnitDetail(), services.get_unit(reader(), g.actor, unit_id, query["since"], query["until"]))


@endpoint(bp, "/storage-units/<unit_id>/moves", "POST", roles=rules.MANAGERS, body=MoveIn,
          summary="Move a container of the lab's store into a rack, box and slot of the unit (a custody "
          "event)", answers={201: MoveOut})  # fmt: skip
def move_container(unit_id: str, body: dict):
    return answer(MoveOut(), services.move_container(uow(), g.actor, unit_id, body), 201)


@endpoint(bp, "/storage-units/<unit_id>/readings", "POST", roles=rules.MANAGERS, body=ReadingsIn,
          summary="Readings a device posts (time with offset, °C); an excursion beyond the study's limit "
          "opens deviations", answers={201: ReadingsOut})  # fmt: skip
def post_readings(unit_id: str, body: dict):
    return answer(ReadingsOut(), services.record_readings(uow(), g.actor, unit_id, body["readings"]), 201)


def _uploaded_bytes() -> bytes:
    if request.content_length and request.content_length > MAX_LOGGER_BYTES:
        raise Invalid(N_("The logger file is too large: nothing was stored"), details={"file": ["too large"]})
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Invalid(N_("Send the logger file as the form field 'file'"), details={"file": ["missing"]})
        return upload.read(MAX_LOGGER_BYTES + 1)
    return request.get_data(cache=False)


@endpoint(bp, "/storage-units/<unit_id>/logger-imports", "POST", roles=rules.MANAGERS, query=ImportQuery,
          summary="Import a data logger's CSV file (text/csv body or multipart 'file'); columns guessed "
          "from the header unless named; any bad line: 422 naming each, nothing stored",
          answers={201: ReadingsOut})  # fmt: skip
def import_logger(unit_id: str, query: dict):
    stored = services.import_logger_file(
        uow(), g.actor, unit_id, _uploaded_bytes(), zone=current_app.config["SITE_TIMEZONE"], **query
    )
    return answer(ReadingsOut(), stored, 201)
