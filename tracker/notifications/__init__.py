"""The notification outbox: stored with the change that caused it, e-mailed later when SMTP is configured."""
