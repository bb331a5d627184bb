"""`flask --app app deviations notify-overdue`: queue one notification to QA for each deviation that is past
its due date and not yet notified (for cron, before `notifications send`; running it again queues nothing)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.deviations.services import notify_overdue
from tracker.web.context import uow


def register_deviations_cli(app: Flask) -> None:
    group = AppGroup("deviations", help="Deviations and CAPA.")
    app.cli.add_command(group)

    @group.command("notify-overdue")
    def notify_overdue_command() -> None:
        """Queue a notification to QA for each overdue deviation, once per deviation."""
        notified = notify_overdue(uow())
        click.echo(f"Queued {len(notified)} overdue notification(s).")
        for deviation_id in notified:
            click.echo(f"  {deviation_id}")
