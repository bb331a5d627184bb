"""The reset every test relies on (tests/conftest.py): after it, the database is the migrated, empty one."""

from sqlalchemy import func, select

from tests.conftest import PASSWORD, _empty_all_tables
from tracker.roles import SYSTEM
from tracker.users.models import User
from tracker.users.services import create_user
from tracker.web.context import uow


def _add_user(app, name):  # noqa: ANN001, ANN202
    with app.app_context():
        create_user(uow(), SYSTEM, name, "nurse", PASSWORD)
        work = uow()
        with work:
            return work.session.execute(select(User.id).where(User.username == name)).scalar_one()


def test_the_reset_empties_every_table_and_restarts_the_ids(app):
    _add_user(app, "first")
    _add_user(app, "second")
    _empty_all_tables(app)
    with app.app_context():
        work = uow()
        with work:
            assert work.session.execute(select(func.count()).select_from(User)).scalar_one() == 0
    assert _add_user(app, "third") == 1
