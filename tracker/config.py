"""Settings from the environment, with development defaults kept in the instance folder."""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from tracker.signing import generate_key_file, write_new_file

MIN_SECRET_KEY_BYTES = 32  # it signs the session cookies: 256 bits


@dataclass(frozen=True)
class LoginPolicy:
    """Sign-in limits (LOGIN_MAX_FAILURES, LOGIN_LOCKOUT_MINUTES, TOKEN_TTL_MINUTES, SESSION_MAX_HOURS)."""

    max_failures: int = 5
    lockout_minutes: int = 15
    token_ttl_minutes: int = 480
    # A page session ends after this long whatever the activity (the cookie's own idle limit is shorter).
    session_hours: int = 12


class ConfigError(RuntimeError):
    """The app must not start with these settings."""


def _instance_secret(instance: Path, name: str) -> str:
    # Development keeps its keys in instance/ so sessions and printed QR labels survive a restart; processes
    # starting at once on a new checkout all end up with the first one's key.
    path = instance / name
    if not path.exists():
        write_new_file(path, secrets.token_hex(32).encode())
    return path.read_text().strip()


def _instance_signing_key(instance: Path) -> str:
    path = instance / "audit_signing_key.pem"
    if not path.exists():
        try:
            generate_key_file(path)
        except FileExistsError:  # another process starting at the same moment made it first
            pass
    return str(path)


def load_settings(instance_path: str, overrides: dict | None = None) -> dict:
    instance = Path(instance_path)
    env = os.environ.get("TRACKER_ENV", "development")
    settings: dict = {
        "TRACKER_ENV": env,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'tracker.db'}"),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "QR_SIGNING_KEY": os.environ.get("QR_SIGNING_KEY"),
        "SITE_TIMEZONE": os.environ.get("SITE_TIMEZONE", "UTC"),
        "SITE_NAME": os.environ.get("SITE_NAME", "site-01"),
        "DEFAULT_STUDY": os.environ.get("DEFAULT_STUDY", "umsis"),
        "TOKEN_TTL_MINUTES": int(os.environ.get("TOKEN_TTL_MINUTES", "480")),
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")),
        # A page session ends this many hours after sign-in however active (SESSION_MINUTES: the idle limit).
        "SESSION_MAX_HOURS": int(os.environ.get("SESSION_MAX_HOURS", "12")),
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto: only then is the client
        # address (which sign-in lockouts are per) read from that header. 0: the peer's address.
        "TRUSTED_PROXY_HOPS": int(os.environ.get("TRUSTED_PROXY_HOPS", "0")),
        # The ZPL label printer's raw port, host:port (usually 9100); unset: labels are downloaded only.
        "LABEL_PRINTER": os.environ.get("LABEL_PRINTER") or None,
        "LABEL_PRINTER_TIMEOUT": float(os.environ.get("LABEL_PRINTER_TIMEOUT", "5")),
        # The Ed25519 key that signs audit checkpoints: a file outside the database (PKCS#8 PEM).
        "AUDIT_SIGNING_KEY_FILE": os.environ.get("AUDIT_SIGNING_KEY_FILE") or None,
        # Where the app writes a signed checkpoint every AUDIT_CHECKPOINT_HOURS (unset: only on demand).
        "AUDIT_CHECKPOINT_DIR": os.environ.get("AUDIT_CHECKPOINT_DIR") or None,
        "AUDIT_CHECKPOINT_HOURS": float(os.environ.get("AUDIT_CHECKPOINT_HOURS", "24")),
        # /healthz says "degraded" when an unsent notification is older than this, or (SQLite) when the
        # database's disk has less than HEALTH_MIN_FREE_MB free.
        "HEALTH_OUTBOX_MAX_MINUTES": float(os.environ.get("HEALTH_OUTBOX_MAX_MINUTES", "60")),
        "HEALTH_MIN_FREE_MB": int(os.environ.get("HEALTH_MIN_FREE_MB", "512")),
        # A PostgreSQL streaming replica that reports, exports and audit verification read from
        # (tracker/replica.py); unset: everything reads the primary.
        "DATABASE_REPLICA_URL": os.environ.get("DATABASE_REPLICA_URL") or None,
        # How long a read waits for the replica to replay what the primary had committed; then the primary.
        "REPLICA_MAX_LAG_SECONDS": float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "1")),
        # A replica passed over (lagging, unreachable) is asked again after this long.
        "REPLICA_RETRY_SECONDS": float(os.environ.get("REPLICA_RETRY_SECONDS", "30")),
        "AUTO_MIGRATE": True,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # A previewed randomization list travels back in its form for the commit (1 MiB, base64).
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("SESSION_MINUTES", "30")) * 60,
        "WTF_CSRF_TIME_LIMIT": None,
    }
    if overrides:
        settings.update(overrides)
    if settings["LABEL_PRINTER"]:
        parse_printer(settings["LABEL_PRINTER"])  # a mistyped printer stops the start, not the first print
    urls = (settings["DATABASE_URL"], settings["DATABASE_REPLICA_URL"])
    if urls[1] and not all(url.startswith("postgresql") for url in urls):
        raise ConfigError("DATABASE_REPLICA_URL must be a streaming replica of a PostgreSQL DATABASE_URL")
    if settings["TRACKER_ENV"] == "production":
        missing = [
            key for key in ("SECRET_KEY", "QR_SIGNING_KEY", "AUDIT_SIGNING_KEY_FILE") if not settings.get(key)
        ]
        if missing:
            raise ConfigError(f"TRACKER_ENV=production needs {', '.join(missing)} set in the environment")
        if not Path(settings["AUDIT_SIGNING_KEY_FILE"]).is_file():
            raise ConfigError(
                f"AUDIT_SIGNING_KEY_FILE names {settings['AUDIT_SIGNING_KEY_FILE']}, which is not a file: "
                "make one with `flask --app app audit keygen FILE` and keep a copy off this server"
            )
        if len(settings["SECRET_KEY"].encode()) < MIN_SECRET_KEY_BYTES:
            raise ConfigError(
                f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes: make one with "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        settings["SESSION_COOKIE_SECURE"] = True
    else:
        settings["SECRET_KEY"] = settings["SECRET_KEY"] or _instance_secret(instance, "secret_key")
        settings["QR_SIGNING_KEY"] = settings["QR_SIGNING_KEY"] or _instance_secret(
            instance, "qr_signing_key"
        )
        if not settings["AUDIT_SIGNING_KEY_FILE"]:
            settings["AUDIT_SIGNING_KEY_FILE"] = _instance_signing_key(instance)
    return settings


def parse_printer(value: str) -> tuple[str, int]:
    """`host:port`, `[ipv6]:port`, or a bare host on the raw printing port 9100, as (host, port)."""
    text = (value or "").strip()
    host, port = text, "9100"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                host = ""
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536 or any(c.isspace() for c in host):
        raise ConfigError(f"LABEL_PRINTER must be host:port, not {value!r}")
    return host, int(port)
