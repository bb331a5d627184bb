"""The production entry as deploy/tracker.service runs it: gunicorn with deploy/gunicorn.conf.py and
TRACKER_ENV=production, its keys from the environment, against a new SQLite database."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.serving_support import ROOT, free_port, gunicorn, production_env
from tests.serving_support import http as http_request
from tracker.signing import generate_key_file


def test_gunicorn_with_the_repository_config_serves_the_app(tmp_path):
    generate_key_file(tmp_path / "audit-signing.pem")
    env = production_env(
        f"sqlite:///{tmp_path / 'tracker.db'}", tmp_path / "audit-signing.pem", TRUSTED_PROXY_HOPS="1"
    )
    log = tmp_path / "gunicorn.log"
    with gunicorn(env, log, workers=1) as base:
        status, _, health = http_request("GET", f"{base}/healthz")
        assert status == 200
        assert health["status"] == "ok"
        assert health["database"] == "ok"
        assert health["disk"]["status"] == "ok"

        # What the proxy says about the client is believed (one trusted hop): HTTPS, so HSTS is sent.
        _, headers, _ = http_request("GET", f"{base}/healthz", headers={"X-Forwarded-Proto": "https"})
        assert headers.get("Strict-Transport-Security", "").startswith("max-age=")
        _, headers, _ = http_request("GET", f"{base}/healthz")
        assert "Strict-Transport-Security" not in headers

        # A page is served, with the session cookie Secure in production.
        status, headers, _ = http_request(
            "GET", f"{base}/login?next=participant-SECRET-SEARCH", headers={"X-Forwarded-Proto": "https"}
        )
        assert status == 200
        assert "Secure" in headers["Set-Cookie"]
    text = log.read_text()
    assert '"GET /login HTTP/1.1" 200' in text  # the access log, to journald...
    assert "SECRET-SEARCH" not in text  # ...without the query string
    assert "Traceback" not in text


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder / "fullchain.pem", folder / "privkey.pem"


@contextmanager
def _nginx(folder: Path, app_port: int) -> Iterator[tuple[int, int]]:
    """deploy/nginx.conf as written, with this run's ports and certificate, in a private nginx."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    cert, key = _self_signed(folder)
    http_port, https_port = free_port(), free_port()
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in (
        ("127.0.0.1:8000", f"127.0.0.1:{app_port}"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/ssl/tracker/fullchain.pem", str(cert)),
        ("/etc/ssl/tracker/privkey.pem", str(key)),
    ):
        assert old in site, old
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)  # no IPv6 needed here
    (folder / "site.conf").write_text(site)
    (folder / "main.conf").write_text(
        f"user root;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {folder}/body;\n"
        f" proxy_temp_path {folder}/proxy;\n include {folder}/site.conf;\n}}\n"
    )
    server = subprocess.Popen(  # noqa: S603 - Debian's nginx on our configuration
        [nginx, "-p", str(folder), "-c", str(folder / "main.conf"), "-g", "daemon off;"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"nginx did not start: {server.stdout.read().decode()}") from None
                time.sleep(0.1)
        yield http_port, https_port
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


def test_nginx_with_the_repository_config_sets_the_forwarded_headers_itself(tmp_path):
    """HTTPS through deploy/nginx.conf: the app sees HTTPS (HSTS), plain HTTP is redirected, and an
    X-Forwarded-For a client sends is replaced by the address nginx saw."""
    generate_key_file(tmp_path / "audit-signing.pem")
    env = production_env(
        f"sqlite:///{tmp_path / 'tracker.db'}", tmp_path / "audit-signing.pem", TRUSTED_PROXY_HOPS="1"
    )
    log = tmp_path / "gunicorn.log"
    (tmp_path / "nginx").mkdir()
    with (
        gunicorn(env, log, workers=1) as base,
        _nginx(tmp_path / "nginx", int(base.rsplit(":", 1)[1])) as ports,
    ):
        http_port, https_port = ports
        unverified = ssl._create_unverified_context()  # noqa: S323 - the test's own self-signed certificate
        request = urllib.request.Request(  # noqa: S310
            f"https://127.0.0.1:{https_port}/healthz", headers={"X-Forwarded-For": "203.0.113.66"}
        )
        with urllib.request.urlopen(request, context=unverified, timeout=30) as response:  # noqa: S310
            assert response.status == 200
            assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
        plain.request("GET", "/healthz")
        redirected = plain.getresponse()
        assert redirected.status == 301
        assert redirected.getheader("Location").startswith("https://")
        plain.close()
    text = log.read_text()
    assert '127.0.0.1 "GET /healthz HTTP/1.0" 200' in text or '127.0.0.1 "GET /healthz HTTP/1.1" 200' in text
    assert "203.0.113.66" not in text  # nginx set X-Forwarded-For from what it saw, not from the client
