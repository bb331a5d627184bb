"""The command line (`flask --app app ...`): schema, users, studies, audit verification and demo data."""

from __future__ import annotations

import secrets
import string
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.audit.verification import verify_chain
from tracker.backup import backup, restore
from tracker.errors import DomainError
from tracker.roles import ROLES, SYSTEM
from tracker.schema import migrate
from tracker.studies.services import current_study, load_study
from tracker.users.services import create_user
from tracker.web.context import reader, state, uow


def _fail(exc: DomainError) -> None:
    click.echo(f"Error: {exc.message}", err=True)
    for field, problems in exc.details.items():
        click.echo(f"  {field}: {problems}", err=True)
    sys.exit(1)


def prepare_database(app: Flask) -> None:
    """Migrate, and load the site's default study when none is loaded yet."""
    with app.app_context():
        migrate(state().engine)
        try:
            with reader() as work:
                current_study(work.session)
        except DomainError:
            if app.config["DEFAULT_STUDY"]:
                load_study(uow(), SYSTEM, app.config["DEFAULT_STUDY"])


def _read_password(prompt: str) -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


def generated_password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14)) + "-" + secrets.choice(string.digits)
        if any(c.islower() for c in candidate) and any(c.isupper() for c in candidate):
            return candidate


def register_cli(app: Flask) -> None:
    from tracker.notifications.cli import register_notifications_cli
    from tracker.randomization.cli import register_randomization_cli

    register_randomization_cli(app)
    register_notifications_cli(app)

    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or migrate the schema (safe to run again)."""
        prepare_database(app)
        click.echo("Database ready.")

    user = AppGroup("user", help="Manage users.")
    app.cli.add_command(user)

    @user.command("add")
    @click.argument("name")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--full-name", default="", help="Printed name shown with signatures.")
    def user_add(name: str, role: str, full_name: str) -> None:
        """Create a user; the password comes from stdin (one line) or is prompted twice."""
        password = _read_password("Password")
        try:
            actor = create_user(uow(), SYSTEM, name, role, password, full_name)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"User {actor.username} created with role {actor.role}.")

    study = AppGroup("study", help="Study definitions.")
    app.cli.add_command(study)

    @click.group(help="Checks that the tracker keeps the blind.")
    def blinding() -> None:
        pass

    @blinding.command("audit")
    @click.option(
        "--participants",
        type=click.IntRange(min=10),
        default=None,
        help="Participants in the scratch trial (default 180, the trial's real size).",
    )
    @click.option(
        "--database-url",
        default=None,
        help="A PostgreSQL server to make the scratch database on (default: a temporary SQLite file).",
    )
    @click.option("--seed", type=int, default=None, help="Repeat a run: the trial's and the attacks' seed.")
    def blinding_audit(participants: int | None, database_url: str | None, seed: int | None) -> None:
        """Run a trial in a scratch database, collect everything each blinded role may read and attack each
        bag's arm with it; exits 1 when any attack beats chance or any answer names an arm."""
        from tracker.blinding_audit.client import AuditFailure
        from tracker.blinding_audit.report import DEFAULT_PARTICIPANTS, run

        try:
            leaks = run(click.echo, participants or DEFAULT_PARTICIPANTS, database_url, seed)
        except AuditFailure as failure:
            # The trial could not be run as staff would run it: nothing was judged, which is no pass.
            click.echo(f"The blinding audit could not run its trial: {failure}", err=True)
            sys.exit(2)
        if leaks:
            sys.exit(1)

    app.cli.add_command(blinding)

    @study.command("load")
    @click.argument("name_or_path")
    def study_load(name_or_path: str) -> None:
        """Load a study definition: a shipped name (umsis) or a JSON file."""
        try:
            loaded = load_study(uow(), SYSTEM, name_or_path)
        except DomainError as exc:
            _fail(exc)
        state_word = "loaded" if loaded.newly_loaded else "already in force"
        click.echo(f"Study {loaded.code} {state_word} (sha256 {loaded.sha256}).")

    audit = AppGroup("audit", help="The audit trail.")
    app.cli.add_command(audit)

    @audit.command("verify")
    def audit_verify() -> None:
        """Exit 0 when the hash chain is intact; otherwise name the first broken row."""
        with reader() as work:
            result = verify_chain(work.session)
        if result.ok:
            click.echo(
                f"Audit chain intact: {result.events} events "
                f"(and {result.unblinded_events} in the unblinded chain, every seal opened)."
            )
            return
        click.echo(f"Audit chain BROKEN at {result.where}: {result.problem}", err=True)
        sys.exit(1)

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Write a consistent copy of the whole database to PATH (a new file)."""
        try:
            backup(state().engine, path)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"Backup written to {path}.")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Confirm that the database's current content is replaced.")
    def restore_command(path: Path, yes: bool) -> None:
        """Replace the database's content with the backup at PATH, then verify the audit chain."""
        if not yes:
            click.echo(
                "Restoring replaces everything in the database: run again with --yes to confirm.", err=True
            )
            sys.exit(2)
        try:
            restore(state().engine, path)
        except DomainError as exc:
            _fail(exc)
        with reader() as work:
            result = verify_chain(work.session)
        if not result.ok:
            click.echo(
                f"Restored, but the audit chain is BROKEN at {result.where}: {result.problem}",
                err=True,
            )
            sys.exit(1)
        click.echo(f"Restored from {path}; audit chain intact: {result.events} events.")

    @app.cli.command("demo")
    def demo() -> None:
        """A complete evaluation data set; the users' passwords are printed once."""
        from tracker.demo import build_demo

        try:
            lines = build_demo()
        except DomainError as exc:
            _fail(exc)
        for line in lines:
            click.echo(line)
