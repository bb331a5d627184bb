"""Reads from a PostgreSQL streaming replica (DATABASE_REPLICA_URL): reports, exports and audit verification.

A read may use the replica only once the replica has replayed everything the primary had flushed when the read
was asked for: the primary's `pg_current_wal_flush_lsn()` is taken first, then the replica's
`pg_last_wal_replay_lsn()` must reach it. Every commit that returned before the read began is then on the
replica, the asking person's own writes included (read your own writes, and everyone else's, with no cookie
and no timer). It needs `synchronous_commit` on (the default): a commit returns only once its WAL is flushed.

The replica gets REPLICA_MAX_LAG_SECONDS to get there. A replica that does not, that cannot be reached or that
is no longer a standby (promoted) is passed over: the read goes to the primary, and the replica is asked again
only after REPLICA_RETRY_SECONDS, so that a down replica costs one failed connection, not one per request.
/healthz reports which (tracker/health.py)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

POLL_SECONDS = 0.02


@dataclass(frozen=True)
class ReplicaState:
    status: str  # "ok", "lagging", "unreachable" or "not_standby"
    lag_seconds: float | None  # how long the replica took to reach the primary's position; None: it did not

    @property
    def usable(self) -> bool:
        return self.status == "ok"


class ReplicaReads:
    def __init__(
        self, primary: Engine, replica: Engine, *, max_lag_seconds: float, retry_seconds: float
    ) -> None:
        self.primary = primary
        self.engine = replica
        self.session_factory: sessionmaker[Session] = sessionmaker(replica, expire_on_commit=False)
        self.max_lag_seconds = max_lag_seconds
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._passed_over_until = 0.0
        self.last = ReplicaState("ok", None)

    def use_replica(self) -> bool:
        """Whether a read starting now may go to the replica (see the module's words)."""
        with self._lock:
            if time.monotonic() < self._passed_over_until:
                return False
        return self.check().usable

    def check(self) -> ReplicaState:
        """Ask the replica now (whatever the last answer was) and remember the answer."""
        try:
            state = self._caught_up()
        except Exception:  # noqa: BLE001 - whatever the failure, the primary answers instead
            state = ReplicaState("unreachable", None)
        with self._lock:
            self.last = state
            self._passed_over_until = 0.0 if state.usable else time.monotonic() + self.retry_seconds
        return state

    def _caught_up(self) -> ReplicaState:
        with self.primary.connect() as primary:
            target = primary.execute(text("SELECT pg_current_wal_flush_lsn()::text")).scalar_one()
        started = time.monotonic()
        with self.engine.connect() as replica:
            while True:
                standby, replayed = replica.execute(
                    text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= CAST(:target AS pg_lsn)"),
                    {"target": target},
                ).one()
                if not standby:  # a primary, or a promoted standby: its own history from now on
                    return ReplicaState("not_standby", None)
                waited = time.monotonic() - started
                if replayed:
                    return ReplicaState("ok", round(waited, 3))
                if waited >= self.max_lag_seconds:
                    return ReplicaState("lagging", None)
                time.sleep(POLL_SECONDS)
