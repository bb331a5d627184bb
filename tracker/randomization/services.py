"""Use cases for randomization lists: generate, import, verify a file against its commitment, status."""

from __future__ import annotations

import datetime as dt
import io
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.csvwriter import SafeCsvWriter
from tracker.db import UnitOfWork, utcnow
from tracker.errors import DomainError, Invalid, NotFound
from tracker.randomization import allocation, rules
from tracker.randomization.models import RandomizationCode, RandomizationList
from tracker.roles import Actor
from tracker.studies.services import current_study
from tracker.text import code_key
from tracker.translation import N_

MAX_LIST_BYTES = 1024 * 1024


class ListTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


@dataclass(frozen=True)
class StratumStatus:
    stratum: str
    total: int
    used: int
    arms: dict[str, int] | None = None  # the statistician's view only


@dataclass(frozen=True)
class ListSummary:
    list_id: int
    source: str
    commitment: str
    salt: str
    code_count: int
    created_at: dt.datetime
    created_by: str
    strata: list[StratumStatus] = field(default_factory=list)

    @property
    def used(self) -> int:
        return sum(s.used for s in self.strata)


def _stored_codes(session: Session) -> set[str]:
    """The keys of every stored code: a code is unique regardless of case."""
    return {code_key(code) for code in session.execute(select(RandomizationCode.code)).scalars()}


def _store_list(
    session: Session, actor: Actor, source: str, rows: list[rules.ListRow], audit_extra: dict
) -> RandomizationList:
    salt = secrets.token_hex(32)
    digest = rules.commitment(salt, rows)
    listing = RandomizationList(
        source=source, salt=salt, commitment=digest, code_count=len(rows), created_at=utcnow(),
        created_by=actor.username,
    )  # fmt: skip
    session.add(listing)
    session.flush()
    session.add_all(
        RandomizationCode(code=r.code, list_id=listing.id, position=n, stratum=r.stratum)
        for n, r in enumerate(rows, start=1)
    )
    session.flush()
    allocation.store_arms(session, actor, ((r.code, r.arm) for r in rows))
    per_stratum = Counter(r.stratum for r in rows)
    # No arm and no seed in the event: the commitment is enough to show the list never changed.
    record_event(
        session, actor, _ACTIONS[source], "randomization_list", str(listing.id),
        after={"commitment": digest, "codes": len(rows),
               "codes_per_stratum": dict(sorted(per_stratum.items())), **audit_extra},
    )  # fmt: skip
    return listing


_ACTIONS = {"generated": "generate", "imported": "import"}


def generate_list(
    uow: UnitOfWork, actor: Actor, seed: int, per_stratum: int, block_sizes: list[int]
) -> ListSummary:
    """Stratified permuted blocks for every stratum of the study, appended as a new list."""
    with uow:
        study = current_study(uow.session)
        problems: dict[str, list[str]] = {}
        if not 1 <= per_stratum <= rules.MAX_PER_STRATUM:
            problems["per_stratum"] = [f"must be between 1 and {rules.MAX_PER_STRATUM}"]
        if seed < 0:
            problems["seed"] = ["must be zero or more"]
        if not problems:
            found = rules.block_size_problems(block_sizes, len(study.arm_codes), per_stratum)
            if found:
                problems["block_sizes"] = found
        if problems:
            raise Invalid(N_("The list cannot be generated"), details=problems)
        sequence = rules.generate_allocation(
            seed, study.stratum_codes, study.arm_codes, per_stratum, block_sizes
        )
        taken = _stored_codes(uow.session)
        rows = [
            rules.ListRow(rules.new_code(secrets.choice, taken), stratum, arm)
            for stratum, blocks in sequence.items()
            for block in blocks
            for arm in block
        ]
        listing = _store_list(
            uow.session, actor, "generated", rows,
            {"per_stratum": per_stratum, "block_sizes": sorted(block_sizes)},
        )  # fmt: skip
        summary = _summary(uow.session, actor, listing)
        uow.commit()
        return summary


@dataclass(frozen=True)
class StratumPreview:
    stratum: str
    rows: int
    arms: dict[str, int]


@dataclass(frozen=True)
class ListPreview:
    """What an import would store, shown before it is: rows per stratum with their arms (for the
    statistician, who may see them), and every problem by line. Nothing is stored or audited."""

    rows: int
    strata: list[StratumPreview]
    problems: dict[str, list[str]]

    @property
    def importable(self) -> bool:
        return not self.problems and self.rows > 0


def _parse_upload(session: Session, data: bytes) -> rules.ParsedList:
    if len(data) > MAX_LIST_BYTES:
        raise ListTooLarge(f"The list file is larger than {MAX_LIST_BYTES // 1024} KiB: nothing was stored")
    study = current_study(session)
    return rules.parse_list_csv(
        data, study.stratum_codes, study.arm_codes, _stored_codes(session), study.code_pattern
    )


def preview_list(uow: UnitOfWork, data: bytes) -> ListPreview:
    """Read a list file as `import_list` would, without storing it. Its arm counts come from the file, which
    only the statistician (the route's role) or the site's operator (the command line) holds."""
    with uow:
        parsed = _parse_upload(uow.session, data)
    by_stratum: dict[str, Counter] = {}
    for row in parsed.read:
        by_stratum.setdefault(row.stratum, Counter())[row.arm] += 1
    strata = [
        StratumPreview(stratum, sum(arms.values()), dict(sorted(arms.items())))
        for stratum, arms in sorted(by_stratum.items())
    ]
    return ListPreview(len(parsed.read), strata, parsed.problems)


def import_list(uow: UnitOfWork, actor: Actor, data: bytes) -> ListSummary:
    """Load a CSV list whole, or nothing: every bad row is reported by its line number."""
    with uow:
        parsed = _parse_upload(uow.session, data)
        if parsed.problems:
            raise Invalid(
                N_("The list was refused: nothing was stored"), code="invalid_list", details=parsed.problems
            )
        listing = _store_list(uow.session, actor, "imported", parsed.rows, {})
        summary = _summary(uow.session, actor, listing)
        uow.commit()
        return summary


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str
    list_id: int | None = None


def verify_list_file(uow: UnitOfWork, data: bytes) -> Verification:
    """Recompute the commitment of a list file with the stored salt of the list its codes belong to."""
    with uow:
        study = current_study(uow.session)
        parsed = rules.parse_list_csv(data, study.stratum_codes, study.arm_codes, set(), study.code_pattern)
        if parsed.problems:
            first = next(iter(parsed.problems.items()))
            return Verification(False, f"The file is not a valid list ({first[0]}: {'; '.join(first[1])})")
        list_id = uow.session.execute(
            select(RandomizationCode.list_id).where(
                func.upper(RandomizationCode.code) == code_key(parsed.rows[0].code)
            )
        ).scalar_one_or_none()
        if list_id is None:
            return Verification(False, f"No stored list holds code {parsed.rows[0].code}")
        listing = uow.session.get(RandomizationList, list_id)
        digest = rules.commitment(listing.salt, parsed.rows)
        if digest != listing.commitment:
            return Verification(
                False,
                f"MISMATCH: the file hashes to {digest}, list {list_id} committed to {listing.commitment}",
                list_id,
            )  # fmt: skip
        return Verification(True, f"The file matches list {list_id}: sha256 {listing.commitment}", list_id)


# Which codes are taken is known to participants, the feature above this one that draws them at enrolment:
# create_app hands in the count per stratum of a list, so that randomization imports nothing of participants.
_USED: dict[str, Callable[[Session, int], dict[str, int]]] = {}


def count_used_codes_with(used_by_stratum: Callable[[Session, int], dict[str, int]]) -> None:
    _USED["by_stratum"] = used_by_stratum


def _summary(
    session: Session, actor: Actor, listing: RandomizationList, counts: dict | None = None
) -> ListSummary:
    totals = session.execute(
        select(RandomizationCode.stratum, func.count())
        .where(RandomizationCode.list_id == listing.id)
        .group_by(RandomizationCode.stratum)
    ).all()
    used = _USED["by_stratum"](session, listing.id)
    if counts is None:
        counts = allocation.arm_counts(session, actor) if actor.role == "statistician" else {}
    return ListSummary(
        listing.id, listing.source, listing.commitment, listing.salt, listing.code_count, listing.created_at,
        listing.created_by,
        [StratumStatus(s, n, used.get(s, 0), counts.get((listing.id, s))) for s, n in sorted(totals)],
    )  # fmt: skip


def list_status(uow: UnitOfWork, actor: Actor) -> list[ListSummary]:
    with uow:
        counts = allocation.arm_counts(uow.session, actor) if actor.role == "statistician" else {}
        lists = uow.session.execute(select(RandomizationList).order_by(RandomizationList.id)).scalars().all()
        return [_summary(uow.session, actor, listing, counts) for listing in lists]


def export_list(uow: UnitOfWork, actor: Actor, list_id: int) -> bytes:
    """A list as the CSV `import` reads and `verify` checks (randomization_code,stratum,arm, list order).

    The export is audited (who, which list, its commitment); the event carries no arm.
    """
    with uow:
        listing = uow.session.get(RandomizationList, list_id) if 0 < list_id < 2**31 else None
        if listing is None:
            raise NotFound(
                N_("No randomization list %(list)s"), params={"list": list_id}, code="unknown_list"
            )
        rows = allocation.list_with_arms(uow.session, actor, list_id)
        buffer = io.StringIO()
        writer = SafeCsvWriter(buffer, lineterminator="\n")
        writer.writerow(rules.CSV_HEADER)
        writer.writerows(rows)
        record_event(
            uow.session, actor, "export", "randomization_list", str(list_id),
            after={"commitment": listing.commitment, "codes": len(rows)},
        )  # fmt: skip
        uow.commit()
        return buffer.getvalue().encode("utf-8")
