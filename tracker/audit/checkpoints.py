"""Signed checkpoints of the audit trail, for the sponsor to keep outside this database.

A checkpoint first writes a `checkpoint` event to the sealed chain (whose seal anchors the unblinded chain's
head, so the checkpoint covers both), then signs that event's sequence, hash and time with an Ed25519 key kept
in a file outside the database. Whoever can rewrite the database cannot forge the signature, so a chain cut
back or rewritten since a checkpoint no longer holds the checkpoint's head, and `audit verify --checkpoint`
says so."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit.models import AuditEvent
from tracker.audit.services import chain_time, record_event
from tracker.db import UnitOfWork
from tracker.notifications.services import queue_notification
from tracker.roles import SYSTEM, Actor
from tracker.signing import fingerprint, raw_public_key

FORMAT = "cell-therapy-tracker/audit-checkpoint/1"
CHECKPOINT_ACTION, CHECKPOINT_ENTITY, CHECKPOINT_ENTITY_ID = "checkpoint", "audit_trail", "sealed_chain"
SIGNED_FIELDS = ("format", "site", "seq", "hash", "at", "public_key")


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or whose signature does not hold."""


# ---- writing ---------------------------------------------------------------------------------------------


def _signed_bytes(document: dict[str, Any]) -> bytes:
    fields = {key: document[key] for key in SIGNED_FIELDS}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def write_checkpoint(
    uow: UnitOfWork,
    key: Ed25519PrivateKey,
    site: str,
    *,
    actor: Actor = SYSTEM,
    due_every: dt.timedelta | None = None,
) -> dict[str, Any] | None:
    """Record a checkpoint event, sign it, and queue the signed document for the sponsor, in one unit of
    work. With `due_every`, only when the last checkpoint is at least that old (None otherwise)."""
    public_key = key.public_key()
    with uow:
        session = uow.session
        at = chain_time(session)  # holds the trail's lock: two schedulers cannot both find a checkpoint due
        if due_every is not None:
            last = last_checkpoint_at(session)
            if last is not None and at - last < due_every:
                return None
        record_event(
            session, actor, CHECKPOINT_ACTION, CHECKPOINT_ENTITY, CHECKPOINT_ENTITY_ID, at=at,
            after={"public_key_fingerprint": fingerprint(public_key)},
        )  # fmt: skip
        seq, digest = session.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).one()
        document = {
            "format": FORMAT,
            "site": site,
            "seq": seq,
            "hash": digest,
            "at": at.isoformat(),
            "public_key": base64.b64encode(raw_public_key(public_key)).decode("ascii"),
            "fingerprint": fingerprint(public_key),
        }
        document["signature"] = base64.b64encode(key.sign(_signed_bytes(document))).decode("ascii")
        body = json.dumps(document, indent=2, sort_keys=True)
        queue_notification(
            session, "audit_checkpoint", "sponsor", f"Audit checkpoint of {site}: seq {seq}",
            "Keep this signed checkpoint of the audit trail: `flask --app app audit verify --checkpoint "
            f"FILE` proves that the trail still holds it.\n\n{body}",
        )  # fmt: skip
        uow.commit()
    return document


def checkpoint_file_name(document: dict[str, Any]) -> str:
    stamp = dt.datetime.fromisoformat(document["at"]).strftime("%Y%m%dT%H%M%SZ")
    return f"audit-checkpoint-{document['seq']:09d}-{stamp}.json"


def save_checkpoint(document: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / checkpoint_file_name(document)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path


def last_checkpoint_at(session: Session) -> dt.datetime | None:
    return session.execute(
        select(AuditEvent.at)
        .where(AuditEvent.entity_type == CHECKPOINT_ENTITY, AuditEvent.entity_id == CHECKPOINT_ENTITY_ID)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).scalar_one_or_none()


# ---- checking --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointResult:
    path: str
    ok: bool
    seq: int | None
    problem: str | None = None


def read_checkpoint(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a checkpoint file: {exc}") from None
    missing = [k for k in (*SIGNED_FIELDS, "signature") if k not in document]
    if not isinstance(document, dict) or document.get("format") != FORMAT or missing:
        raise CheckpointError(f"{path} is not a checkpoint file of this tracker")
    return document


def check_signature(document: dict[str, Any], site_key: Ed25519PublicKey | None) -> None:
    """The signature holds under the key it names, and that key is this site's key."""
    try:
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["public_key"]))
        public_key.verify(base64.b64decode(document["signature"]), _signed_bytes(document))
    except (InvalidSignature, ValueError, TypeError):
        raise CheckpointError("its signature does not hold: the file was changed or forged") from None
    if site_key is not None and raw_public_key(public_key) != raw_public_key(site_key):
        raise CheckpointError(
            f"it was signed with key {fingerprint(public_key)}, not this site's key {fingerprint(site_key)}"
        )


def verify_checkpoint(uow: UnitOfWork, path: Path, site_key: Ed25519PublicKey | None) -> CheckpointResult:
    """Whether the sealed chain still holds the checkpoint's head at its sequence."""
    try:
        document = read_checkpoint(path)
        check_signature(document, site_key)
    except CheckpointError as exc:
        return CheckpointResult(str(path), False, None, str(exc))
    seq = document["seq"]
    with uow:
        held = uow.session.execute(select(AuditEvent.hash).where(AuditEvent.seq == seq)).scalar_one_or_none()
    if held is None:
        return CheckpointResult(str(path), False, seq, "the chain no longer reaches it: events were cut")
    if held != document["hash"]:
        return CheckpointResult(
            str(path), False, seq, "the chain holds another event there: it was rewritten"
        )
    return CheckpointResult(str(path), True, seq)
