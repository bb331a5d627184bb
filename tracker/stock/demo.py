"""Demo kits for `flask --app app demo`: the GMP lab issues a few kits of the demo lots to the pharmacy, so
that a pharmacist can thaw and prepare at once (through the same service as the pages)."""

from __future__ import annotations

from sqlalchemy import select

from tracker.errors import DomainError
from tracker.lots.demo import DEMO_LOTS
from tracker.stock import services
from tracker.users.models import User
from tracker.users.services import actor_of
from tracker.web.context import reader, uow

DEMO_KITS = 4


def issue_demo_kits() -> list[str]:
    """Issue DEMO_KITS kits of the demo lots when the pharmacy holds none of them yet."""
    if services.issued_kits(reader()):
        return ["Demo kits: the pharmacy already holds kits (none issued)"]
    with reader() as work:
        user = work.session.execute(select(User).where(User.username == "demo_gmp")).scalar_one_or_none()
        gmp = actor_of(user) if user is not None else None
    if gmp is None:
        return ["Demo kits: not issued (no demo_gmp user)"]
    lots = {material: lot_number for lot_number, material in DEMO_LOTS.items()}
    try:
        issued = services.issue_next_kits(uow(), gmp, lots, DEMO_KITS, services.PHARMACY)
    except DomainError as exc:  # a demo lot missing or not released: say so, do not fail the demo
        return [f"Demo kits: not issued ({exc})"]
    return [f"Demo kits issued to the pharmacy: {', '.join(k['kit_id'] for k in issued['kits'])}"]
