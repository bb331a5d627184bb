"""`flask --app app site add CODE --name NAME --kind KIND`, `site rename`, `site list`: the trial's sites."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.errors import DomainError
from tracker.roles import SYSTEM
from tracker.sites import rules, services
from tracker.web.context import reader, uow


def register_sites_cli(app: Flask) -> None:
    group = AppGroup("site", help="The trial's sites (the GMP lab, the hospitals).")
    app.cli.add_command(group)

    @group.command("add")
    @click.argument("code")
    @click.option("--name", required=True, help="The site's name, e.g. 'Beijing Tiantan Hospital'.")
    @click.option("--kind", type=click.Choice(rules.KINDS), required=True)
    def add_command(code: str, name: str, kind: str) -> None:
        """Add a site."""
        try:
            site = services.add_site(uow(), SYSTEM, {"code": code, "name": name, "kind": kind})
        except DomainError as error:
            raise click.ClickException(f"{error.message} {error.details or ''}".strip()) from None
        click.echo(f"Added site {site['code']} ({site['name']}, {site['kind']}).")

    @group.command("rename")
    @click.argument("code")
    @click.option("--name", default=None)
    @click.option("--kind", type=click.Choice(rules.KINDS), default=None)
    def rename_command(code: str, name: str | None, kind: str | None) -> None:
        """Rename a site or change its kind."""
        try:
            site = services.update_site(uow(), SYSTEM, code, {"name": name, "kind": kind})
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Site {site['code']}: {site['name']}, {site['kind']}.")

    @group.command("list")
    def list_command() -> None:
        """The sites, one a line: code, kind, name."""
        for site in services.list_sites(reader()):
            click.echo(f"{site['code']}\t{site['kind']}\t{site['name']}")
