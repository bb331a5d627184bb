"""Site scoping as a property of the session, not of each query: a request of a person who works for
some sites gets a session whose every ORM read of a site-bound record (tracker/sites/models.py `SiteScoped`)
is narrowed to those sites, lists and lookups alike; a record of another site answers as unknown (404).

The SQLAlchemy recipe for global criteria (`do_orm_execute` with `with_loader_criteria`). A statement that
must see the whole trial whoever asks (a uniqueness check, the next unused randomization code) says so with
the execution option `all_sites=True`."""

from __future__ import annotations

from sqlalchemy import event, or_
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from tracker.notifications.models import Notification
from tracker.sites.models import SiteScoped

ALL_SITES = {"all_sites": True}


def install(session_factory: sessionmaker[Session]) -> None:
    event.listen(session_factory, "do_orm_execute", _narrow_to_sites)


def _narrow_to_sites(state: ORMExecuteState) -> None:
    codes = state.session.info.get("sites")
    if (
        not codes
        or not state.is_select
        or state.is_column_load  # the options already travel with the loaded object
        or state.is_relationship_load
        or state.execution_options.get("all_sites", False)
    ):
        return
    state.statement = state.statement.options(
        *(
            with_loader_criteria(cls, cls.site_filter(codes), include_aliases=True)  # type: ignore[attr-defined]
            for cls in SiteScoped.SCOPED
        ),
        # The outbox sits below sites (every feature writes to it): news of the whole trial has no site.
        with_loader_criteria(
            Notification, or_(Notification.site_code.is_(None), Notification.site_code.in_(codes))
        ),
    )
