"""Loading study definitions and reading the one in force."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.db import UnitOfWork, one_writer_at_a_time, utcnow
from tracker.errors import Conflict, Invalid, NotFound
from tracker.roles import Actor
from tracker.studies.definition import StudyDefinition, parse_definition
from tracker.studies.models import Study

SHIPPED = Path(__file__).parent / "definitions"


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.json"))


def read_definition_file(name_or_path: str) -> dict[str, Any]:
    path = SHIPPED / f"{name_or_path}.json" if name_or_path in shipped_names() else Path(name_or_path)
    if not path.is_file():
        raise NotFound(
            f"No study definition named {name_or_path!r}: give a shipped name ({', '.join(shipped_names())}) "
            "or the path of a JSON file",
            code="unknown_study",
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"{path} is not valid UTF-8 JSON: {exc}", code="invalid_study_definition") from None
    if not isinstance(raw, dict):
        raise Invalid(f"{path} must hold one JSON object", code="invalid_study_definition")
    return raw


def _canonical(raw: dict[str, Any]) -> bytes:
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class LoadedStudy:
    code: str
    sha256: str
    newly_loaded: bool


def load_study(uow: UnitOfWork, actor: Actor, name_or_path: str) -> LoadedStudy:
    """Validate and store a definition. Loading the definition already in force again changes nothing."""
    raw = read_definition_file(name_or_path)
    try:
        parse_definition(raw)
    except ValidationError as exc:
        raise Invalid(
            "The study definition is invalid", code="invalid_study_definition", details=exc.messages
        ) from None
    digest = hashlib.sha256(_canonical(raw)).hexdigest()
    with uow:
        one_writer_at_a_time(uow.session, "study load")  # two first starts at once load it once
        current = _current_row(uow.session)
        if current is not None and current.code == raw["code"] and current.sha256 == digest:
            return LoadedStudy(current.code, digest, newly_loaded=False)
        # A changed or re-activated definition is appended: the history of what was in force stays whole.
        study = Study(
            code=raw["code"], sha256=digest, definition=raw, loaded_at=utcnow(), loaded_by=actor.username
        )
        uow.session.add(study)
        uow.session.flush()
        record_event(
            uow.session, actor, "load", "study", raw["code"], after={"sha256": digest, "version": study.id}
        )
        uow.commit()
        return LoadedStudy(study.code, digest, newly_loaded=True)


def _current_row(session: Session) -> Study | None:
    return session.execute(select(Study).order_by(Study.id.desc()).limit(1)).scalar_one_or_none()


# Parsed definitions by their SHA-256: every request reads the study, and parsing its JSON each time cost more
# than the rest of a typical lookup. A definition's digest names its content (load_study computes it).
_PARSED: dict[str, StudyDefinition] = {}


def current_study(session: Session) -> StudyDefinition:
    latest = session.execute(select(Study.id, Study.sha256).order_by(Study.id.desc()).limit(1)).first()
    if latest is None:
        raise Conflict(
            "No study definition is loaded: run `flask --app app study load umsis`", code="no_study_loaded"
        )
    parsed = _PARSED.get(latest.sha256)
    if parsed is None:
        definition = session.execute(select(Study.definition).where(Study.id == latest.id)).scalar_one()
        if len(_PARSED) >= 16:  # only the definitions a site has loaded: a handful
            _PARSED.clear()
        parsed = _PARSED[latest.sha256] = parse_definition(json.loads(_canonical(definition)))
    return parsed


def study_definition(uow: UnitOfWork) -> StudyDefinition:
    """The loaded study, read in its own unit of work (for pages and the API)."""
    with uow:
        return current_study(uow.session)
