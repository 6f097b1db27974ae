"""Files of the instance folder are private to the account that runs the hub.

The instance folder holds the database (SQLite), the secret key, the email outbox (``.eml``
files with names, addresses and reset links), uploads and the configuration. Every folder the
hub creates there is ``0700`` and every file ``0600``, whatever the process umask; the instance
folder itself and an SQLite database found with wider modes are narrowed at start-up.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_folder(path: Path | str) -> Path:
    """Create ``path`` (and missing parents) as ``0700`` folders; narrow ``path`` if it exists."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:  # another worker created it meanwhile
            pass
        _narrow(folder, PRIVATE_FOLDER)
    _narrow(path, PRIVATE_FOLDER)
    return path


def write_private(path: Path | str, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` as a ``0600`` file (never readable by others, not even for an
    instant); its folder is created private when missing."""
    path = Path(path)
    if not path.parent.exists():
        private_folder(path.parent)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # an existing file keeps its old mode otherwise
        with os.fdopen(fd, "wb") as fh:
            fd = None
            fh.write(data)
    finally:
        if fd is not None:
            os.close(fd)
    return path


def save_upload(upload, path: Path | str) -> Path:
    """Save a form upload (werkzeug ``FileStorage``) as a private file."""
    upload.stream.seek(0)
    return write_private(path, upload.stream.read())


def _narrow(path: Path, mode: int) -> None:
    """Remove group and other permissions from a path the hub owns (others are left alone)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(stat.S_IMODE(info.st_mode) & ~0o077 & 0o777 | (mode & 0o700))


def secure_instance(instance_path: Path | str, database_url: str) -> None:
    """Make the instance folder private and the SQLite database (with its journal files)
    ``0600``, creating the database file with that mode before SQLite opens it."""
    instance = private_folder(instance_path)
    for name in ("outbox", "uploads"):
        if (instance / name).is_dir():
            _narrow(instance / name, PRIVATE_FOLDER)
    for name in ("secret_key", "hub.toml", "config.py"):
        _narrow(instance / name, PRIVATE_FILE)
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        database = Path(database_url[len("sqlite:///") :].split("?", 1)[0])
        if not database.parent.exists():
            private_folder(database.parent)
        if not database.exists():
            try:
                os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
            except FileExistsError:
                pass
        # SQLite gives its -wal, -shm and -journal files the database file's mode.
        for suffix in ("", "-wal", "-shm", "-journal"):
            _narrow(Path(f"{database}{suffix}"), PRIVATE_FILE)
