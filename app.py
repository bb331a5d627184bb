"""Entry point for `flask --app app ...`: it only creates the app."""

from tracker import create_app

app = create_app()
