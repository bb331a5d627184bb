"""The command line (`flask --app app ...`): schema, users, studies, audit verification and demo data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tracker.audit.checkpoints import save_checkpoint, verify_checkpoint, write_checkpoint
from tracker.audit.scheduling import checkpoint_if_due
from tracker.audit.verification import VerifyResult, verify_chain
from tracker.backup import backup, restore
from tracker.errors import DomainError
from tracker.roles import ROLES, SYSTEM
from tracker.schema import migrate
from tracker.signing import fingerprint, generate_key_file, load_signing_key
from tracker.studies.services import current_study, load_study
from tracker.users.services import create_user
from tracker.web.context import reader, report_reader, state, uow


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


def _report_verification(result: VerifyResult) -> None:
    if result.problem is None:
        click.echo(
            f"Audit chain intact: {result.events} events "
            f"(and {result.unblinded_events} in the unblinded chain, every seal opened)."
        )
    else:
        click.echo(f"Audit chain BROKEN at {result.where}: {result.problem}", err=True)
    if not result.record_problems:
        click.echo(f"Records agree with the trail: {result.rows} rows.")
        return
    count = len(result.record_problems) + result.more_record_problems
    click.echo(f"Records DISAGREE with the trail ({count} problems in {result.rows} rows):", err=True)
    for problem in result.record_problems:
        click.echo(f"  {problem}", err=True)
    if result.more_record_problems:
        click.echo(f"  ... and {result.more_record_problems} more", err=True)


def register_cli(app: Flask) -> None:
    from tracker.deviations.cli import register_deviations_cli
    from tracker.notifications.cli import register_notifications_cli
    from tracker.randomization.cli import register_randomization_cli
    from tracker.sites.cli import register_sites_cli
    from tracker.storage.cli import register_storage_cli

    register_randomization_cli(app)
    register_notifications_cli(app)
    register_deviations_cli(app)
    register_storage_cli(app)
    register_sites_cli(app)

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
    @click.option(
        "--site", "sites", multiple=True,
        help="A site the person works for (repeat for several); none: the whole trial.",
    )  # fmt: skip
    def user_add(name: str, role: str, full_name: str, sites: tuple[str, ...]) -> None:
        """Create a user; the password comes from stdin (one line) or is prompted twice."""
        password = _read_password("Password")
        try:
            actor = create_user(uow(), SYSTEM, name, role, password, full_name, sites=sites)
        except DomainError as exc:
            _fail(exc)
        click.echo(
            f"User {actor.username} created with role {actor.role}"
            + (f" at {', '.join(actor.sites)}." if actor.sites else ", for the whole trial.")
        )

    @user.command("list")
    def user_list() -> None:
        """Every account: role, state, last sign-in."""
        from tracker.users.services import list_accounts

        click.echo(f"{'user':<20} {'role':<13} {'state':<18} {'last sign-in':<17} {'sites':<16} name")
        for account in list_accounts(reader(), state().login_policy):
            flags = ["active" if account["active"] else "disabled"]
            if account["locked"]:
                flags.append("locked")
            if account["password_change_required"]:
                flags.append("change due")
            last = account["last_sign_in_at"]
            click.echo(
                f"{account['username']:<20} {account['role']:<13} {','.join(flags):<18} "
                f"{last.strftime('%Y-%m-%d %H:%M') if last else 'never':<17} "
                f"{' '.join(account['sites']) or 'all':<16} {account['full_name']}"
            )

    def _account_change(name: str, active: bool, reason: str) -> None:
        from tracker.users.services import update_user

        try:
            update_user(uow(), SYSTEM, name, {"active": active}, reason)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"User {name} {'enabled' if active else 'disabled; every session and token ended'}.")

    @user.command("disable")
    @click.argument("name")
    @click.option("--reason", required=True, help="Why: kept in the audit trail.")
    def user_disable(name: str, reason: str) -> None:
        """Disable a user: sign-in refused, sessions and tokens end at once."""
        _account_change(name, False, reason)

    @user.command("enable")
    @click.argument("name")
    @click.option("--reason", required=True, help="Why: kept in the audit trail.")
    def user_enable(name: str, reason: str) -> None:
        """Enable a disabled user again."""
        _account_change(name, True, reason)

    @user.command("reset-password")
    @click.argument("name")
    @click.option("--reason", required=True, help="Why: kept in the audit trail.")
    def user_reset_password(name: str, reason: str) -> None:
        """Print a one-time password, to be changed at the next sign-in; the user's sessions end."""
        from tracker.users.services import reset_password

        try:
            password = reset_password(uow(), SYSTEM, name, reason)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"One-time password for {name} (shown once; it must be changed at the next sign-in):")
        click.echo(password)

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
    @click.option(
        "--checkpoint", "checkpoints", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
        help="A signed checkpoint the chain must still hold (repeat for several).",
    )  # fmt: skip
    def audit_verify(checkpoints: tuple[Path, ...]) -> None:
        """Exit 0 when the audit trail is intact and holds every checkpoint given; else name what broke."""
        with report_reader() as work:  # the replica when it is caught up (tracker/replica.py)
            result = verify_chain(work.session)
        broken = not result.ok
        _report_verification(result)
        site_key = load_signing_key(Path(app.config["AUDIT_SIGNING_KEY_FILE"])).public_key()
        for path in checkpoints:
            held = verify_checkpoint(uow(), path, site_key)
            if held.ok:
                click.echo(f"Checkpoint {path}: held (seq {held.seq}, signed by this site's key).")
            else:
                click.echo(f"Checkpoint {path}: NOT HELD: {held.problem}", err=True)
                broken = True
        if broken:
            sys.exit(1)

    @audit.command("checkpoint")
    @click.option("--if-due", is_flag=True, help="Only if the last is AUDIT_CHECKPOINT_HOURS old (cron).")
    def audit_checkpoint(if_due: bool) -> None:
        """Print a signed checkpoint of the audit trail's head for the sponsor to keep (and save it in
        AUDIT_CHECKPOINT_DIR when that is set; the sponsor's copy goes through the notification outbox)."""
        if if_due:
            written = checkpoint_if_due(app)
            click.echo(f"Checkpoint written: {written}" if written else "No checkpoint due.")
            return
        key = load_signing_key(Path(app.config["AUDIT_SIGNING_KEY_FILE"]))
        document = write_checkpoint(uow(), key, app.config["SITE_NAME"])
        click.echo(json.dumps(document, indent=2, sort_keys=True))
        directory = app.config.get("AUDIT_CHECKPOINT_DIR")
        if directory:
            click.echo(f"Saved to {save_checkpoint(document, Path(directory))}.", err=True)
        click.echo(
            f"Checkpoint of seq {document['seq']} signed by key {document['fingerprint']}; "
            "queued for the sponsor.",
            err=True,
        )

    @audit.command("keygen")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def audit_keygen(path: Path) -> None:
        """Make a new audit signing key (mode 600) for AUDIT_SIGNING_KEY_FILE; keep a copy elsewhere."""
        try:
            generate_key_file(path)
        except FileExistsError:
            click.echo(f"{path} already exists: a signing key is never overwritten.", err=True)
            sys.exit(1)
        click.echo(f"Audit signing key written to {path}: {fingerprint(load_signing_key(path).public_key())}")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Write a consistent copy of the whole database to PATH (a new file, readable by its owner only)."""
        try:
            backup(state().engine, path)
        except DomainError as exc:
            _fail(exc)
        click.echo(
            f"Backup written to {path} (readable by its owner only: it holds the allocation). "
            f"Restore it with: flask --app app restore {path} --yes"
        )

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Confirm that the database's current content is replaced.")
    def restore_command(path: Path, yes: bool) -> None:
        """Replace the database's content with the backup at PATH, once the backup, restored into a scratch
        database, passes `audit verify` there; a broken backup is refused and nothing is replaced."""
        if not yes:
            click.echo(
                "Restoring replaces everything in the database: run again with --yes to confirm.", err=True
            )
            sys.exit(2)
        proven: list[VerifyResult] = []

        def check(scratch: Engine) -> str | None:
            with Session(scratch) as session:
                result = verify_chain(session)
            proven.append(result)
            if result.problem is not None:
                return f"its audit trail is broken at {result.where}: {result.problem}"
            if result.record_problems:
                return f"its records disagree with its audit trail ({result.record_problems[0]}, ...)"
            return None

        try:
            restore(state().engine, path, check)
        except DomainError as exc:
            _fail(exc)
        click.echo(
            f"Verified the backup in a scratch database (audit chain intact: {proven[-1].events} events), "
            f"then replaced the live database with it. Restored from {path}."
        )

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
