"""Configuration: defaults in code, then ``instance/hub.toml`` (and/or ``instance/config.py``),
then ``HUB_*`` variables.

Later sources win. Every key may be set in ``hub.toml`` (upper or lower case)
and through an environment variable of the same name prefixed ``HUB_``
(``HUB_DATABASE_URL``, ``HUB_PLUGINS_ALLOWED``...). Environment values are parsed
as TOML scalars when they look like one (``true``, ``5``, ``["a", "b"]``),
otherwise taken as strings.
"""

from __future__ import annotations

import os
import runpy
import secrets
import tomllib
from pathlib import Path

DEFAULTS: dict = {
    # Where the SQLite database, secret key, outbox and uploads live.
    "INSTANCE_PATH": None,
    # SQLAlchemy URL; None means sqlite:///<instance>/hub.sqlite.
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    # Key of the census hashes (HMAC-SHA256); None means the file instance/census_key, created
    # on first start. Kept outside the database: a database dump alone cannot be brute-forced
    # back into names and birth dates. Keep it with the instance, never change it lightly
    # (docs/security.md: changing it means re-importing the census list).
    "CENSUS_KEY": None,
    # Theme folder name under themes/ (or an absolute path).
    "THEME": "default",
    # Plugins that may be imported at all: "*" (every one found) or a list of names.
    "PLUGINS_ALLOWED": "*",
    # Extra plugins by name -> importable module path (handy for tests and local development).
    "EXTRA_PLUGINS": {},
    "DEFAULT_LOCALE": "fr",
    "LOCALES": ["fr", "en"],
    "TIMEZONE": "Europe/Paris",
    # Mail: when MAIL_SERVER is empty, messages are written as .eml files under instance/outbox/.
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_USE_TLS": False,
    "MAIL_SENDER": "Participation <no-reply@localhost>",
    # Shared storage for rate limits and caches across worker processes.
    "REDIS_URL": "",
    "RATELIMIT_LOGIN": "10 per minute",
    "RATELIMIT_REGISTER": "5 per minute",
    "RATELIMIT_RESET": "5 per minute",
    # Re-entering one's password (change it, delete the account), per account.
    "RATELIMIT_REAUTH": "5 per 15 minutes",
    "RATELIMIT_SIGN": "30 per minute",
    # Online residence self-check (census list): per account, and per IP address.
    "RATELIMIT_RESIDENCE": "5 per hour;10 per day",
    "RATELIMIT_RESIDENCE_IP": "30 per hour",
    # Per IP address (higher: a kiosk or a school shares one address).
    "RATELIMIT_SIGN_IP": "300 per minute",
    # Voting (polls, participatory budgets) and writing (comments, reports, contributions,
    # proposals): per account, and per IP address.
    "RATELIMIT_VOTE": "20 per minute",
    "RATELIMIT_VOTE_IP": "300 per minute",
    "RATELIMIT_WRITE": "10 per minute;100 per day",
    "RATELIMIT_WRITE_IP": "120 per minute",
    "RATELIMIT_ENABLED": True,
    # Cookies are Secure by default; set false for plain-http local use.
    "SESSION_COOKIE_SECURE": True,
    # Argon2id cost; tests lower it.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 2,
    # Email confirmation and password reset links stay valid this long (seconds).
    "CONFIRM_TOKEN_MAX_AGE": 7 * 24 * 3600,
    "RESET_TOKEN_MAX_AGE": 2 * 3600,
    # Public address: every absolute URL (emails, API, open data, iCal) starts with it.
    # Empty: the request's Host header (`hub run` sets it from --host/--port; production
    # start-up warns), and the built-in server's address outside a request.
    "BASE_URL": "",
    # Host names requests may carry; empty: the host of BASE_URL plus loopback names.
    "TRUSTED_HOSTS": None,
    # Reverse proxies in front (nginx: 1): the client address is read from X-Forwarded-For.
    "TRUSTED_PROXIES": 0,
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    # A draw by lot takes place at least this long after its public announcement.
    "DRAW_MIN_DELAY_HOURS": 24,
    # Seconds an anonymous, cookie-less page may be served from the in-process page cache
    # (0 turns it off); proxies are told s-maxage=10.
    "PAGE_CACHE_SECONDS": 5,
    # Seconds a worker may reuse a part of a page that every viewer with the same roles sees
    # alike (hub.sharedparts; 0 turns it off). Its own writes drop them at once; the
    # viewer's own writes are always shown; others' writes in another worker after this.
    "SHARED_PARTS_SECONDS": 5,
    # Seconds a worker may reuse a staff member's "To do" count in the menu; any write in
    # that worker drops it at once, another worker's write is seen after this delay.
    "WORK_QUEUE_COUNT_SECONDS": 30,
    # The same for the unread-notifications count in the header (shown on every page).
    "NOTIFICATION_COUNT_SECONDS": 30,
    # Deliver events and email right after the request that caused them (one-process
    # installs); set false when `hub worker` runs beside the web server.
    "WORKER_INLINE": True,
}


def _parse_env_value(raw: str):
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def default_instance_path() -> Path:
    """The ``instance/`` folder beside the source tree, unless ``HUB_INSTANCE_PATH`` says otherwise."""
    env = os.environ.get("HUB_INSTANCE_PATH")
    if env:
        return Path(env).resolve()
    return (Path(__file__).resolve().parent.parent / "instance").resolve()


def load_config(instance_path: Path, overrides: dict | None = None) -> dict:
    """Merge defaults, ``hub.toml``, ``HUB_*`` variables and explicit overrides (highest)."""
    config = dict(DEFAULTS)
    toml_file = instance_path / "hub.toml"
    if toml_file.exists():
        with toml_file.open("rb") as fh:
            for key, value in tomllib.load(fh).items():
                config[key.upper()] = value
    py_file = instance_path / "config.py"
    if py_file.exists():  # for deployments that prefer Flask's classic config.py
        namespace = runpy.run_path(str(py_file))
        config.update({k: v for k, v in namespace.items() if k.isupper()})
    for key, raw in os.environ.items():
        if key.startswith("HUB_") and key != "HUB_INSTANCE_PATH":
            config[key[4:]] = _parse_env_value(raw)
    if overrides:
        config.update({k.upper(): v for k, v in overrides.items()})
    config["INSTANCE_PATH"] = str(instance_path)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'hub.sqlite'}"
    return config


def ensure_secret_key(instance_path: Path, name: str = "secret_key") -> str:
    """Read one of the instance's keys (``secret_key``, ``census_key``), creating it
    (mode 0600) on first use. Several workers starting at once read the one that won."""
    key_file = instance_path / name
    if key_file.exists():
        return _read_key(key_file)
    from .files import private_folder

    private_folder(instance_path)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(key_file)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _read_key(key_file: Path) -> str:
    import time

    for _attempt in range(50):  # another worker may be writing it this very moment
        key = key_file.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{key_file} is empty: delete it, or write a key in it")


# Where `hub run` serves by default: links made outside a request (emails from the worker,
# one-time links printed by a command) point here when BASE_URL is not set.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
