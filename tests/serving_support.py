"""The app served as in production: gunicorn with the repository's deploy/gunicorn.conf.py, on a free port of
127.0.0.1, in its own process, until the block ends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(database_url: str, key_file: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TRACKER_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "serving-test-secret-key-of-32-bytes-at-least",
        "QR_SIGNING_KEY": "serving-test-qr-signing-key",
        "AUDIT_SIGNING_KEY_FILE": str(key_file),
        **extra,
    }


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """(status, headers, JSON body or text) of one request; an error status is an answer, not an exception."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our own server
            status, answer_headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, dict(error.headers), error.read()
    try:
        return status, answer_headers, json.loads(raw)
    except ValueError:
        return status, answer_headers, raw.decode(errors="replace")


def _start(env: dict[str, str], log: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**env, "TRACKER_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    with log.open("ab") as out:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter serving our own app
            [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return server, f"http://127.0.0.1:{port}"


def _wait_until_up(server: subprocess.Popen, base: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5):  # noqa: S310
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start:\n{log.read_text()}") from None
            time.sleep(0.2)


@contextmanager
def gunicorns(envs: list[dict[str, str]], logs: list[Path], *, workers: int = 2) -> Iterator[list[str]]:
    """Base URLs of gunicorn instances, one per environment, each serving the app with
    deploy/gunicorn.conf.py, started together and yielded once every /healthz answers."""
    started: list[tuple[subprocess.Popen, str]] = []
    try:
        for env, log in zip(envs, logs, strict=True):
            started.append(_start(env, log, workers))
        for (server, base), log in zip(started, logs, strict=True):
            _wait_until_up(server, base, log)
        yield [base for _, base in started]
    finally:
        for server, _ in started:
            server.terminate()
        for server, _ in started:
            server.wait(timeout=60)


@contextmanager
def gunicorn(env: dict[str, str], log: Path, *, workers: int = 2) -> Iterator[str]:
    """The base URL of one gunicorn serving the app with deploy/gunicorn.conf.py, once /healthz answers."""
    with gunicorns([env], [log], workers=workers) as (base,):
        yield base
