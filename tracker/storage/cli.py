"""`flask --app app storage watch`: raise an alarm (a notification to GMP and QA) for each storage unit whose
readings stopped for longer than the study allows, once per silence (for cron; running it again queues
nothing until the unit falls silent again)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.storage.services import watch
from tracker.web.context import uow


def register_storage_cli(app: Flask) -> None:
    group = AppGroup("storage", help="Storage units and their temperatures.")
    app.cli.add_command(group)

    @group.command("watch")
    def watch_command() -> None:
        """Alarm GMP and QA for each silent storage unit, once per silence."""
        alarmed = watch(uow())
        click.echo(f"Raised {len(alarmed)} silence alarm(s).")
        for unit_id in alarmed:
            click.echo(f"  {unit_id}")
