"""Parts of pages that every viewer with the same *audience* sees alike, kept a few seconds.

A logged-in page never comes from the anonymous page cache (:mod:`hub.pagecache`): it shows
who is reading. Most of it does not, though: a project's contract, its relays, its
contributions and indicators read the same for every verified resident. A template marks
such a part ``{% shared key, ... %}…{% endshared %}`` (or a view calls :func:`shared_part`);
the part is then rendered once per worker for each audience and kept for
``SHARED_PARTS_SECONDS`` (default 5; 0 turns this off).

What makes it safe:

* The part renders with the viewer replaced by their audience (:class:`AudienceViewer`):
  logged in or not, active, roles, email confirmed, residence verified. Asking anything else
  about the viewer (``current_user.id``, a name, the session, a CSRF token) raises
  :class:`PersonalPart`: that part is rendered again for this viewer alone and not kept.
  Values a view computed for the viewer and passed to the template are not seen by this
  guard: a part must not use them (tests/test_shared_parts.py compares every shared part of
  the demo's pages, served warm to one viewer, with a cold render for another).
* The key holds the part's own keys, the audience, the language, the settings version, the
  plugins switched off, host, scheme, script root, the request's path and query, and
  ``HX-Request``.
* A part is dropped as soon as this worker commits a write (:mod:`hub.datacache`), and never
  served to a viewer whose own latest write (in any worker) is newer than the part: one's own
  contribution shows at once. Other people's writes in another worker show within
  ``SHARED_PARTS_SECONDS``, as with the anonymous page cache.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable, Hashable
from contextvars import ContextVar

from flask import current_app, g, request, session
from flask.globals import _cv_app, _cv_request
from flask_login import current_user
from markupsafe import Markup

from . import datacache
from .i18n import locale_name

# The session key holding the time (epoch seconds) of the viewer's latest write.
WROTE_AT = "hub_wrote_at"
# Bounds of what a worker keeps (all dropped when either is reached): a query string varied
# at will adds entries, and a page of fifty contributions weighs some 30 kB.
_MAX_ENTRIES = 2_000
_MAX_CHARACTERS = 16_000_000

_rendering_shared = ContextVar("hub_rendering_shared", default=False)
_holes_of_part: ContextVar[list | None] = ContextVar("hub_holes_of_part", default=None)

# Personal bits inside a shared part (:func:`personal`): a marker no text can hold (user
# text is escaped, and Markdown comments are stripped), numbered within the part.
_NONCE = secrets.token_hex(8)
_HOLE = re.compile(f"<!--hub-personal:{_NONCE}:(\\d+)-->")
_PERSONAL: dict[str, Callable[..., str]] = {}


class PersonalPart(BaseException):
    """Raised when a shared part asks for something personal to the viewer.

    A ``BaseException``: the ``except Exception`` of a helper must not turn it into a
    default value that would then be shown to everyone."""


def refuse_if_shared(what: str) -> None:
    if _rendering_shared.get():
        raise PersonalPart(what)


def personal_bit(name: str):
    """Registers ``function(*args) -> HTML`` as the personal bit ``name``: what a shared
    part shows the viewer alone (their "change my contribution" link). It reads the viewer
    from ``current_user``; its arguments are plain values of the part (ids, flags)."""

    def register(function):
        _PERSONAL[name] = function
        return function

    return register


def personal(name: str, *args) -> Markup:
    """The templates' ``personal(name, ...)``: the personal bit ``name`` for the viewer. In a
    shared part, a marker filled for each viewer when the part is served."""
    holes = _holes_of_part.get()
    if holes is None or not _rendering_shared.get():
        return Markup(_PERSONAL[name](*args))
    holes.append((name, args))
    return Markup(f"<!--hub-personal:{_NONCE}:{len(holes) - 1}-->")


def _fill(entry) -> Markup:
    """A kept part with each personal bit made for this viewer."""
    segments, holes = entry
    if not holes:
        return segments
    out = []
    for index, segment in enumerate(segments):
        if index % 2:
            name, args = holes[int(segment)]
            out.append(str(_PERSONAL[name](*args)))
        else:
            out.append(segment)
    return Markup("".join(out))


class Deferred:
    """Values a page reads on first use (``data.relays``), all at once: what only its shared
    parts show is then not read at all when they are served kept."""

    __slots__ = ("_load", "_values")

    def __init__(self, load: Callable[[], dict]):
        self._load, self._values = load, None

    def __getattr__(self, name):
        if self._values is None:
            self._values = self._load()
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


class AudienceViewer:
    """The viewer as a shared part sees them: only what the audience key holds."""

    __slots__ = (
        "is_authenticated",
        "is_anonymous",
        "is_active",
        "roles",
        "email_confirmed",
        "residence_verified",
        "is_staff",
    )

    def __init__(self, user):
        authenticated = bool(getattr(user, "is_authenticated", False))
        self.is_authenticated = authenticated
        self.is_anonymous = not authenticated
        self.is_active = bool(getattr(user, "is_active", False)) if authenticated else False
        self.roles = frozenset(user.roles) if authenticated else frozenset()
        self.email_confirmed = bool(user.email_confirmed) if authenticated else False
        self.residence_verified = bool(user.residence_verified) if authenticated else False
        self.is_staff = bool(self.roles & {"agent", "elected", "moderator", "admin"})

    @property
    def key(self) -> tuple:
        return (
            self.is_authenticated,
            self.is_active,
            self.roles,
            self.email_confirmed,
            self.residence_verified,
        )

    def can(self, permission: str) -> bool:
        from .permissions import has_permission

        return has_permission(self, permission)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def __getattr__(self, name):
        raise PersonalPart(f"current_user.{name}")

    def __eq__(self, other):
        raise PersonalPart("current_user ==")

    def __hash__(self):
        raise PersonalPart("hash(current_user)")


class _GuardedSession:
    """Stands for the session while a shared part renders: it is personal."""

    def __getattr__(self, name):
        raise PersonalPart(f"session.{name}")

    def __getitem__(self, name):
        raise PersonalPart(f"session[{name!r}]")

    def __contains__(self, name):
        raise PersonalPart(f"{name!r} in session")

    def __iter__(self):
        raise PersonalPart("iter(session)")


class SharedParts:
    """The parts of one application, in this worker."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.entries: dict = {}
        self.characters = 0
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.characters = 0


def _characters(segments) -> int:
    """The size of a kept part: its HTML, or the pieces between its personal bits."""
    if isinstance(segments, str):
        return len(segments)
    return sum(len(segment) for segment in segments)


def shared_part(site: Hashable, keys: Hashable, render: Callable[[], str]) -> Markup:
    """``render()``'s HTML, shared by every viewer with the same audience (module doc)."""
    app_context = _cv_app.get()
    parts: SharedParts | None = app_context.app.extensions.get("hub_shared_parts")
    if parts is None or parts.seconds <= 0 or _cv_request.get(None) is None:
        return Markup(render())
    if _rendering_shared.get():  # a part inside a part: the outer one is kept
        return Markup(render())
    # Kept on the request context, not in ``g``: a test's outer app context serves several
    # requests with one ``g``, and each request has its own viewer.
    request_context = _cv_request.get()
    viewer = request_context.__dict__.get("hub_shared_viewer")
    if viewer is None:
        viewer = request_context.hub_shared_viewer = _viewer_of_request()
    state = app_context.g.__dict__
    user, audience, request_key, wrote_at = viewer
    key = (site, keys, request_key)
    now = time.monotonic()
    version = datacache.data_version()
    found = parts.entries.get(key)
    if found is not None:
        entry, expires, entry_version, started = found
        if expires > now and entry_version == version and started > wrote_at:
            return Markup(render()) if entry is None else _fill(entry)
    started = state.get("hub_request_started", 0.0)
    started_version = state.get("hub_request_data_version", version)
    entry = _render_as_audience(render, audience, user)
    if started_version == version:  # else this request wrote before: not kept
        with parts.lock:
            size = 0 if entry is None else _characters(entry[0])
            if len(parts.entries) >= _MAX_ENTRIES or parts.characters + size > _MAX_CHARACTERS:
                parts.entries.clear()
                parts.characters = 0
            parts.characters += size  # a replaced entry's size is counted twice: cleared sooner
            # ``None``: the part turned out personal; remembered so as not to try each time.
            parts.entries[key] = (entry, now + parts.seconds, version, started)
    return Markup(render()) if entry is None else _fill(entry)


def _viewer_of_request() -> tuple:
    """The viewer, their audience, what the key of every part of this request holds besides
    the part's own keys, and the time of the viewer's latest write (once per request)."""
    user = current_user._get_current_object()
    audience = AudienceViewer(user)
    hub = current_app.extensions["hub"]
    request_key = (
        audience.key,
        locale_name(),
        hub.settings.version,
        hub.plugins.disabled,
        request.host,
        request.scheme,
        request.script_root,
        request.full_path,
        request.headers.get("HX-Request", ""),
    )
    wrote_at = session.get(WROTE_AT, 0) if audience.is_authenticated else 0
    return user, audience, request_key, wrote_at


def _render_as_audience(render, audience: AudienceViewer, user) -> tuple | None:
    """The part as the audience sees it (its HTML cut at its personal bits, and these
    bits), or None when it asked for something personal outside a personal bit."""
    request_context = _cv_request.get()
    real_session = request_context._session
    holes: list = []
    token = _rendering_shared.set(True)
    holes_token = _holes_of_part.set(holes)
    g._login_user = audience
    request_context._session = _GuardedSession()
    try:
        html = Markup(render())
    except PersonalPart as asked:
        current_app.logger.debug("shared part %s is personal: %s", render, asked)
        return None
    finally:
        request_context._session = real_session
        g._login_user = user
        _holes_of_part.reset(holes_token)
        _rendering_shared.reset(token)
    if not holes:
        return html, ()
    return [Markup(part) for part in _HOLE.split(html)], tuple(holes)


def _note_request_start() -> None:
    g.hub_request_started = time.time()
    g.hub_request_data_version = datacache.data_version()


def _note_own_write(response):
    """Records the time of the viewer's write in their session (read-your-writes)."""
    if g.pop("hub_wrote", False):
        user = g.get("_login_user")
        if user is not None and getattr(user, "is_authenticated", False):
            session[WROTE_AT] = time.time()
    return response


def _current_user_in_templates() -> dict:
    # The proxy, not the user object: a shared part swaps the viewer for their audience.
    return {"current_user": current_user}


def init_app(app) -> None:
    app.config.setdefault("SHARED_PARTS_SECONDS", 5)
    app.extensions["hub_shared_parts"] = SharedParts(float(app.config["SHARED_PARTS_SECONDS"]))
    app.before_request_funcs.setdefault(None, []).insert(0, _note_request_start)
    app.after_request(_note_own_write)
    app.jinja_env.globals["personal"] = personal
    processors = app.template_context_processors[None]
    for index, processor in enumerate(processors):
        if getattr(processor, "__name__", "") == "_user_context_processor":
            processors[index] = _current_user_in_templates
            break
    else:
        processors.append(_current_user_in_templates)
