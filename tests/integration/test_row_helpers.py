"""The database helpers every use case shares: find a row (locked and read afresh), a new random ID, and a
refused write answered as a conflict."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from tracker.db import conflict_on_integrity_error, find_one, unused_id, utcnow
from tracker.errors import Conflict, NotFound
from tracker.studies.models import Study


def test_a_locked_find_reads_the_row_afresh_not_as_the_session_last_saw_it(app: Any) -> None:
    factory = app.extensions["tracker"].session_factory
    with factory() as mine:
        study = mine.execute(select(Study)).scalar_one()
        mine.commit()  # the row stays in this session as it was read (sessions do not expire on commit)
        with factory() as theirs:
            theirs.execute(update(Study).values(loaded_by="someone-else"))
            theirs.commit()
        missing = NotFound("no study")
        assert find_one(mine, select(Study), missing).loaded_by == study.loaded_by != "someone-else"
        assert find_one(mine, select(Study), missing, lock=True).loaded_by == "someone-else"


def test_a_find_of_nothing_raises_the_error_it_was_given(app: Any) -> None:
    with app.extensions["tracker"].session_factory() as session:
        with pytest.raises(NotFound, match="no such study"):
            find_one(session, select(Study).where(Study.code == "nope"), NotFound("no such study"), lock=True)


def test_a_new_id_is_never_one_the_column_already_holds(app: Any) -> None:
    with app.extensions["tracker"].session_factory() as session:
        taken = session.execute(select(Study.code)).scalar_one()
        offers = iter([taken, taken, "FRESH"])
        assert unused_id(session, Study.code, lambda: next(offers)) == "FRESH"


def test_a_write_a_constraint_refuses_answers_as_the_conflict_given(app: Any) -> None:
    with app.extensions["tracker"].session_factory() as session:
        taken = session.execute(select(Study.id)).scalar_one()
        session.add(
            Study(id=taken, code="copy", sha256="0" * 64, definition={}, loaded_at=utcnow(), loaded_by="x")
        )
        refused = Conflict("already there")
        with pytest.raises(Conflict, match="already there"), conflict_on_integrity_error(refused):
            session.flush()
