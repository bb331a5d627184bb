"""`flask --app app randomization ...`: import, generate and verify lists. Nothing printed reveals an arm."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.errors import DomainError
from tracker.randomization import services
from tracker.roles import SYSTEM
from tracker.users.services import check_password
from tracker.web.context import login_policy, reader, uow


def _fail(exc: DomainError) -> None:
    click.echo(f"Error: {exc.message}", err=True)
    for where, problems in exc.details.items():
        for problem in problems if isinstance(problems, list) else [problems]:
            click.echo(f"  {where}: {problem}", err=True)
    sys.exit(1)


def _report(summary: services.ListSummary, verb: str) -> None:
    click.echo(f"List {summary.list_id} {verb}: {summary.code_count} codes.")
    for stratum in summary.strata:
        click.echo(f"  stratum {stratum.stratum}: {stratum.total} codes")
    click.echo(f"Commitment (SHA-256): {summary.commitment}")


def _preview(preview: services.ListPreview) -> None:
    # Codes per stratum only: the command line prints nothing that reveals an arm.
    for stratum in preview.strata:
        click.echo(f"  stratum {stratum.stratum}: {stratum.rows} codes")
    for where, problems in preview.problems.items():
        for problem in problems:
            click.echo(f"  {where}: {problem}", err=True)
    if not preview.importable:
        click.echo(f"Refused: {preview.rows} rows read; nothing would be stored.", err=True)
        sys.exit(1)
    click.echo(f"Would import {preview.rows} codes; nothing was stored (run without --preview to import).")


def _block_sizes(_ctx: click.Context, _param: click.Parameter, value: str) -> list[int]:
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter("give whole numbers separated by commas, e.g. 2,4") from None


def register_randomization_cli(app: Flask) -> None:
    group = AppGroup("randomization", help="Randomization lists.")
    app.cli.add_command(group)

    @group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--preview", is_flag=True, help="Check the file and count its codes per stratum; store nothing."
    )
    def import_command(file: Path, preview: bool) -> None:
        """Load a list (header randomization_code,stratum,arm); any bad row refuses the whole file."""
        try:
            if preview:
                _preview(services.preview_list(reader(), file.read_bytes()))
                return
            summary = services.import_list(uow(), SYSTEM, file.read_bytes())
        except DomainError as exc:
            _fail(exc)
        _report(summary, "imported")

    @group.command("generate")
    @click.option(
        "--seed", type=click.IntRange(min=0), required=True, help="Keep it in the trial master file."
    )
    @click.option("--per-stratum", type=click.IntRange(min=1), required=True)
    @click.option("--block-sizes", default="2,4", show_default=True, callback=_block_sizes)
    def generate_command(seed: int, per_stratum: int, block_sizes: list[int]) -> None:
        """Stratified permuted blocks of randomly varying sizes for every stratum of the study."""
        try:
            summary = services.generate_list(uow(), SYSTEM, seed, per_stratum, block_sizes)
        except DomainError as exc:
            _fail(exc)
        _report(summary, "generated")

    @group.command("export")
    @click.argument("list_id", type=click.IntRange(min=1))
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--user", "username", required=True, help="A statistician; the password is asked for.")
    def export_command(list_id: int, file: Path, username: str) -> None:
        """Write a list with its arms to FILE (a new file, readable by you only), for `verify`.

        Statistician only: the password comes from stdin (one line) or a prompt; the export is audited.
        """
        password = (
            sys.stdin.readline().rstrip("\r\n")
            if not sys.stdin.isatty()
            else click.prompt("Password", hide_input=True)
        )
        try:
            # The file holds the allocation: never overwrite one, and let only its owner read it.
            descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            click.echo(f"Error: {file} exists; give a new file name", err=True)
            sys.exit(1)
        except OSError as exc:
            click.echo(f"Error: cannot create {file}: {exc.strerror}", err=True)
            sys.exit(1)
        with os.fdopen(descriptor, "wb") as out:
            try:
                actor = check_password(uow(), username, password, login_policy())
                out.write(services.export_list(uow(), actor, list_id))
            except DomainError as exc:
                out.close()
                file.unlink()
                _fail(exc)
        click.echo(f"List {list_id} written to {file}. Check it with: randomization verify {file}")

    @group.command("verify")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def verify_command(file: Path) -> None:
        """Exit 0 when FILE hashes (with the stored salt) to its list's stored commitment; else 1."""
        try:
            result = services.verify_list_file(reader(), file.read_bytes())
        except DomainError as exc:
            _fail(exc)
        click.echo(result.message, err=not result.ok)
        sys.exit(0 if result.ok else 1)
