"""Audit events (append-only) in two chains, the seals that hide unblinded facts, and the chain heads that
serialise writers. See tracker/audit/rules.py for what each chain holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base


class ChainedEvent:
    """The columns of an event in a hash chain: what happened, and the link to the event before it."""

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime]
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    # The exact bytes that were hashed; verification hashes these, never a re-encoding.
    canonical: Mapped[bytes] = mapped_column(LargeBinary)


class AuditEvent(ChainedEvent, Base):
    """The sealed chain: every reader sees these rows whole; unblinded facts are only in their seal."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity_type", "entity_id", "seq"),
        Index("ix_audit_event_at", "at"),
    )

    seal: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditSeal(Base):
    """What a sealed-chain event's seal hides, and the secret salt that makes the seal a commitment.
    Unblinded: read only for unblinded readers and by verification."""

    __tablename__ = "audit_seal"

    seq: Mapped[int] = mapped_column(ForeignKey("audit_event.seq"), primary_key=True, autoincrement=False)
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    sealed: Mapped[dict[str, Any]] = mapped_column(JSON)
    canonical: Mapped[bytes] = mapped_column(LargeBinary)


class UnblindedAuditEvent(ChainedEvent, Base):
    """The unblinded chain: events that exist for one arm only, or whose time says which material was used."""

    __tablename__ = "audit_unblinded_event"
    __table_args__ = (Index("ix_audit_unblinded_event_entity", "entity_type", "entity_id", "seq"),)

    # The digest of the row images this event carries (audit_record).
    records: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditRecord(Base):
    """The image of one record row as an event left it (None: deleted). `n` numbers images across both
    chains in the order they were written, so the latest image of a row is its highest `n`."""

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_row", "table_name", "row_key", "n"),
        Index("ix_audit_record_event", "chain", "seq", "n"),
    )

    n: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    chain: Mapped[str] = mapped_column(String(10))
    seq: Mapped[int]
    table_name: Mapped[str] = mapped_column(String(64))
    row_key: Mapped[str] = mapped_column(String(80))
    image: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ArchivedAuditEvent(ChainedEvent, Base):
    """The first trail (one chain, hashed over unblinded facts), kept unchanged when it was resealed into the
    two chains (migration 0011); never shown to a reader, verified by `audit verify`."""

    __tablename__ = "audit_event_v1"

    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row per chain naming its last event (and one counting row images): locked by every writer, and a
    witness against a truncated tail."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
