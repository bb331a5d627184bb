"""Runs the whole audit and prints its table: per attack and role, the accuracy, the permuted floor and the
evidence. A leak is an accuracy above the threshold or an answer that names a bag's arm."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from tracker.blinding_audit.attacks import ATTACKS, THRESHOLD, Result, attack_all, study_of
from tracker.blinding_audit.client import Client
from tracker.blinding_audit.collect import Collector
from tracker.blinding_audit.trial import Trial, run_trial, scratch_database
from tracker.db import CLOCK

DEFAULT_PARTICIPANTS = 200  # the trial's size
KITS = {
    True: "kits issued to the pharmacy each morning",
    False: "no kits (the app has no POST /containers/issue: thaws and placebo bags take from the store)",
}


def _scratch_app(url: str):  # noqa: ANN202
    from tracker import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "AUTO_MIGRATE": True,
            "TESTING": True,
            "SECRET_KEY": secrets.token_hex(16),
            "QR_SIGNING_KEY": secrets.token_hex(16),
            "DEFAULT_STUDY": "umsis",
            # The scratch site's tokens last the simulated weeks: fewer sign-ins, nothing else changes.
            "TOKEN_TTL_MINUTES": 60 * 24 * 60,
        }
    )


def run(
    echo: Callable[[str], None],
    participants: int = DEFAULT_PARTICIPANTS,
    database_url: str | None = None,
    seed: int | None = None,
) -> int:
    """Build the scratch trial, collect, attack, print; the number of leaks found (0: the blind held)."""
    started = time.monotonic()
    seed = secrets.randbelow(2**31) if seed is None else seed
    with scratch_database(database_url) as url:
        app = _scratch_app(url)
        try:
            client = Client(app)
            trial = Trial(participants, seed)
            collector = Collector(client, trial)
            try:
                run_trial(client, trial, collector.snapshot)
                ran = time.monotonic()
                collection = collector.collect()
            finally:
                CLOCK.reset()
            collected = time.monotonic()
            roles = collector.roles
            results = attack_all(collection, trial, roles, study_of(app), seed)
        finally:
            app.extensions["tracker"].engine.dispose()
    attacked = time.monotonic()
    leaks = _print(echo, results, collection, trial, roles, seed)
    echo(
        f"Elapsed {attacked - started:.1f} s (trial {ran - started:.1f} s, collection "
        f"{collected - ran:.1f} s, attacks {attacked - collected:.1f} s); {client.requests} requests."
    )
    return leaks


def _print(echo: Callable[[str], None], results: list[Result], collection, trial, roles, seed) -> int:  # noqa: ANN001
    active = sum(b.arm == "active" for b in trial.bags)
    echo(
        f"Blinding audit: {len(trial.bags)} bags ({active} active, {len(trial.bags) - active} placebo) over "
        f"{trial.days} simulated days from {trial.started:%Y-%m-%d %H:%M} UTC, {len(trial.thaws)} thaws, "
        f"{KITS[trial.kit_route]}; seed {seed}."
    )
    echo(f"Collected {len(collection.readings)} answers as {', '.join(roles)}; "
         f"{sum(len(s) for s in collection.snapshots.values())} snapshots around preparations.")  # fmt: skip
    serious = sum(trial.adverse_events.values())
    ae_answers = [r for r in collection.readings if "adverse-events" in r.route or "sdtm-ae" in r.route]
    echo(f"Adverse events: {len(trial.adverse_events)} recorded ({serious} serious) at infusions chosen "
         f"regardless of arm; {len(ae_answers)} answers read from their routes "
         f"({len({r.route for r in ae_answers})} routes).")  # fmt: skip
    fhir_answers = [r for r in collection.readings if r.route.startswith("/fhir/")]
    echo(f"FHIR: {len(fhir_answers)} answers read from {len({r.route for r in fhir_answers})} routes "
         f"({sum(r.status == 200 for r in fhir_answers)} with a resource).")  # fmt: skip
    for skipped in sorted(set(collection.skipped)):
        echo(f"  not collected: {skipped}")
    echo(f"{'attack':<30} {'role':<13} {'accuracy':>8} {'floor':>11}  evidence")
    leaks = 0
    for result in results:
        leak = result.accuracy > THRESHOLD or (result.attack in ("a", "n") and bool(result.names))
        leaks += leak
        flag = "LEAK" if leak else "ok"
        decided = (
            f" [{result.decided} of {len(trial.bags)} bags decided]" if result.attack in ("a", "n") else ""
        )
        echo(
            f"{result.attack}. {ATTACKS[result.attack]:<27} {result.role:<13} {result.accuracy:>8.2f} "
            f"{result.floor_mean:>5.2f}/{result.floor_max:<5.2f}  {flag}: {result.evidence}{decided}"
        )
        for name in result.names[:3]:
            echo(f"      names: {name}")
    floor = max((r.floor_max for r in results), default=0.5)
    echo(
        f"Threshold {THRESHOLD:.2f}; the highest accuracy any attack reached with permuted arms (the chance "
        f"floor with these features and {len(trial.bags)} bags): {floor:.2f}."
    )
    for finding in collection.findings:
        echo(f"FINDING {finding}")
    echo(
        "No leak: no attack told the arms apart better than chance." if not leaks else f"{leaks} leaks found."
    )
    return leaks
