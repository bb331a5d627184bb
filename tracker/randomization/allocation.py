"""The ONE place that reads or writes arms. It checks the caller's role itself, whatever route called it.

No other module imports the `Allocation` model (a unit test greps the package to keep it so).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tracker.blinding import UNBLINDED_ROLES
from tracker.db import Base
from tracker.errors import Forbidden, NotFound
from tracker.randomization.models import RandomizationCode
from tracker.roles import SYSTEM, Actor
from tracker.translation import N_

READERS = UNBLINDED_ROLES  # who may read an arm: the one declaration (tracker/blinding.py)
WRITERS = frozenset({"statistician"})
EXPORTERS = frozenset({"statistician"})  # a whole list with its arms: the statistician alone


class Allocation(Base):
    """The arm of one randomization code."""

    __tablename__ = "allocation"

    code: Mapped[str] = mapped_column(
        ForeignKey("randomization_code.code", name="fk_allocation_code_randomization_code"), primary_key=True
    )
    arm: Mapped[str] = mapped_column(String(20))


def _refuse() -> Forbidden:
    return Forbidden("Your role may not learn a treatment arm", code="arm_hidden")


def store_arms(session: Session, actor: Actor, arms_by_code: Iterable[tuple[str, str]]) -> None:
    """Write the arms of new codes (a list being loaded): the statistician, or the site's command line."""
    if actor.role not in WRITERS and actor != SYSTEM:
        raise _refuse()
    session.add_all(Allocation(code=code, arm=arm) for code, arm in arms_by_code)


def arm_of(session: Session, actor: Actor, code: str, *, code_break_reason: str | None = None) -> str:
    """The arm of one code: for unblinded roles, or for an investigator inside a signed code-break."""
    allowed = actor.role in READERS or (
        actor.role == "investigator" and code_break_reason is not None and code_break_reason.strip()
    )
    if not allowed:
        raise _refuse()
    arm = session.execute(select(Allocation.arm).where(Allocation.code == code)).scalar_one_or_none()
    if arm is None:
        raise NotFound(
            N_("No randomization code %(code)s"), params={"code": code}, code="unknown_randomization_code"
        )
    return arm


def arms_of(session: Session, actor: Actor, codes: Iterable[str]) -> dict[str, str]:
    """The arms of many codes in one query (a worklist): for unblinded roles only."""
    if actor.role not in READERS:
        raise _refuse()
    wanted = set(codes)
    if not wanted:
        return {}
    query = select(Allocation.code, Allocation.arm).where(Allocation.code.in_(wanted))
    return {code: arm for code, arm in session.execute(query)}


def arm_counts(session: Session, actor: Actor) -> dict[tuple[int, str], dict[str, int]]:
    """Arm counts per (list, stratum): for the statistician only."""
    if actor.role != "statistician":
        raise _refuse()
    rows = session.execute(
        select(RandomizationCode.list_id, RandomizationCode.stratum, Allocation.arm).join(
            Allocation, Allocation.code == RandomizationCode.code
        )
    ).all()
    counts: dict[tuple[int, str], Counter[str]] = {}
    for list_id, stratum, arm in rows:
        counts.setdefault((list_id, stratum), Counter())[arm] += 1
    return {key: dict(counter) for key, counter in counts.items()}


def list_with_arms(session: Session, actor: Actor, list_id: int) -> list[tuple[str, str, str]]:
    """(code, stratum, arm) of one list in list order: for the statistician only (export, then verify)."""
    if actor.role not in EXPORTERS:
        raise Forbidden(N_("Only the statistician may export a list with its arms"), code="arm_hidden")
    return [
        tuple(row)
        for row in session.execute(
            select(RandomizationCode.code, RandomizationCode.stratum, Allocation.arm)
            .join(Allocation, Allocation.code == RandomizationCode.code)
            .where(RandomizationCode.list_id == list_id)
            .order_by(RandomizationCode.position)
        ).all()
    ]
