"""`flask --app app notifications send`: e-mail the outbox (for cron, when SMTP_HOST is configured)."""

from __future__ import annotations

import sys

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
            click.echo("SMTP_HOST is not set: notifications stay in the outbox (QA page).", err=True)
            sys.exit(1)
        click.echo(f"Sent {send_now(app)} notification(s).")
