"""`flask --app app notifications send`: e-mail the outbox (from the jobs timer or cron). A site without a
mail server (no SMTP_HOST) is a supported one: the notifications stay on the /notifications page and the
command says so and succeeds, so that the periodic jobs do not fail every five minutes."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.notifications.mail import send_now, smtp_settings


def register_notifications_cli(app: Flask) -> None:
    group = AppGroup("notifications", help="The notification outbox.")
    app.cli.add_command(group)

    @group.command("send")
    def send_command() -> None:
        """Send unsent notifications by e-mail."""
        if smtp_settings(app) is None:
            click.echo(
                "SMTP_HOST is not set: nothing is e-mailed; notifications stay on the /notifications page."
            )
            return
        click.echo(f"Sent {send_now(app)} notification(s).")
