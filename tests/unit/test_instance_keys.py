"""Development keys in instance/: processes starting at once on a new checkout (two workers, two commands
side by side) all start, and all end up with the same keys."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from tracker.config import load_settings
from tracker.signing import load_signing_key, write_new_file

STARTS = 8


def _start(instance: str, barrier) -> tuple[str, str, str]:
    barrier.wait()  # every process reads the empty folder at the same moment
    settings = load_settings(instance)
    key = Path(settings["AUDIT_SIGNING_KEY_FILE"]).read_bytes().decode()
    return settings["SECRET_KEY"], settings["QR_SIGNING_KEY"], key


def test_processes_starting_at_once_on_a_new_checkout_share_their_keys(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "QR_SIGNING_KEY", "AUDIT_SIGNING_KEY_FILE", "TRACKER_ENV"):
        monkeypatch.delenv(name, raising=False)
    instance = str(tmp_path / "instance")
    context = multiprocessing.get_context("fork")
    barrier = context.Manager().Barrier(STARTS)
    with context.Pool(STARTS) as pool:
        keys = pool.starmap(_start, [(instance, barrier)] * STARTS)
    assert len(set(keys)) == 1
    secret, qr_key, pem = keys[0]
    assert len(secret) == 64
    assert len(qr_key) == 64
    load_signing_key(Path(instance) / "audit_signing_key.pem")  # whole, not half written
    assert sorted(p.name for p in Path(instance).iterdir() if p.name.startswith(".")) == []  # no scratch left


def test_a_file_written_once_is_never_overwritten(tmp_path):
    path = tmp_path / "key"
    assert write_new_file(path, b"first")
    assert not write_new_file(path, b"second")
    assert path.read_bytes() == b"first"
    assert path.stat().st_mode & 0o777 == 0o600
