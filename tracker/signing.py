"""The Ed25519 key that signs audit checkpoints: a PKCS#8 PEM file outside the database."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyError(ValueError):
    """The key file cannot be used."""


def write_new_file(path: Path, data: bytes) -> bool:
    """Write `data` to `path`, readable by its owner only, unless `path` exists; False when it does. Made
    whole beside it and linked into place, so two processes starting at once (two workers, two commands) never
    read a half-written file, and the one that comes second keeps the first one's content."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:  # mkstemp makes it mode 600
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.link(scratch, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(scratch)
    return True


def generate_key_file(path: Path) -> None:
    """A new Ed25519 private key, readable by its owner only; an existing file is never overwritten."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    if not write_new_file(Path(path), pem):
        raise FileExistsError(f"{path} exists: a key file is never overwritten")


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"The audit signing key {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"The audit signing key {path} is not an Ed25519 key")
    return key


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """What a person compares: SHA-256 of the raw public key, in hex groups of four."""
    digest = hashlib.sha256(raw_public_key(public_key)).hexdigest()
    return "SHA256:" + ":".join(digest[i : i + 4] for i in range(0, 32, 4))
