"""This hub's Ed25519 key pairs, kept in the instance folder (``federation/``, files mode
0600): the current key signs, a rotated-out key is kept so that messages queued before the
rotation still go out signed with the key the peer knows."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

PREFIX = "ed25519:"


def folder() -> Path:
    path = Path(current_app.instance_path) / "federation"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _state_file() -> Path:
    return folder() / "keys.json"


def _read_state() -> dict:
    path = _state_file()
    return json.loads(path.read_text()) if path.exists() else {}


def _write_state(state: dict) -> None:
    path = _state_file()
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    _write_private(tmp, json.dumps(state, indent=2).encode())
    tmp.replace(path)


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """``ed25519:`` and the 32 raw bytes in base64: what an admin copies to the peer."""
    return PREFIX + base64.b64encode(raw_public(public_key)).decode()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """The key an admin pasted; ValueError when it is not an Ed25519 public key."""
    text = (text or "").strip()
    if text.startswith(PREFIX):
        text = text[len(PREFIX) :]
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64") from exc
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id_of(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public(public_key)).hexdigest()[:32]


def fingerprint(key_id: str) -> str:
    """The key id in groups of four, to read out over the phone."""
    return " ".join(key_id[i : i + 4].upper() for i in range(0, len(key_id), 4))


def _new_key() -> str:
    private = Ed25519PrivateKey.generate()
    key_id = key_id_of(private.public_key())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(folder() / f"{key_id}.pem", pem)
    return key_id


def current_key_id() -> str:
    """The signing key's id, creating the first key pair on first use."""
    state = _read_state()
    if not state.get("current"):
        state = {"current": _new_key(), "previous": []}
        _write_state(state)
    return state["current"]


def private_key(key_id: str) -> Ed25519PrivateKey:
    path = folder() / f"{key_id}.pem"
    if not path.exists() or "/" in key_id:
        raise KeyError(key_id)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_key(key_id: str | None = None) -> Ed25519PublicKey:
    return private_key(key_id or current_key_id()).public_key()


def rotate() -> tuple[str, str]:
    """A new current key; the old one is kept (it signs the announcement of the new one).
    Returns (old key id, new key id)."""
    old = current_key_id()
    state = _read_state()
    new = _new_key()
    state["previous"] = [old, *state.get("previous", [])][:5]
    state["current"] = new
    _write_state(state)
    return old, new


def identity() -> dict:
    from hub.plugin import get_setting

    key_id = current_key_id()
    return {
        "url": (current_app.config.get("BASE_URL") or "").rstrip("/"),
        "name": get_setting("commune_name"),
        "key_id": key_id,
        "public_key": public_key_text(public_key(key_id)),
        "fingerprint": fingerprint(key_id),
    }
