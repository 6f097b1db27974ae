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
  about the viewer raises :class:`PersonalPart`: that part is rendered again for this viewer
  alone and not kept. What is refused (in place: templates hold ``request`` and ``g``
  themselves): ``current_user.id``, a name, the session, a CSRF token; whatever the request
  stored in ``g`` before the part (a before_request's value for the viewer, Flask-WTF's
  token), but the few names of :data:`_G_AS_IS` (the language, request-wide memos of what
  is the same for everyone); the request's cookies, its headers but ``HX-Request``, its
  body, ``environ``, the client's address and what was parsed from them
  (``accept_languages``, ``user_agent``); the flashed messages already read. Where the
  request goes (path, query, ``url_for``, the endpoint) reads as usual. What a part stores in
  ``g`` is dropped after it (made for the audience).
* :class:`Deferred` values are loaded by whoever reads them first: inside a part, under its
  guard; elsewhere (a part rendered for the viewer alone, the page around the parts), for
  the viewer, and a part reading them later is then personal.
  Values a view computed for the viewer and passed to the template are not seen by this
  guard: a part must not use them (tests/test_shared_parts.py compares every shared part of
  the demo's pages, served warm to one viewer, with a cold render for another).
* The key holds the part's own keys, the audience, the language, the settings version, the
  plugins switched off, host, scheme, script root, the request's method, path and query,
  and ``HX-Request``. The viewer and the language are checked for every part (a request may
  log someone in, or render a message in another language with ``force_locale``).
* A part is dropped as soon as this worker commits a write (:mod:`hub.datacache`: any
  statement that writes, ORM or plain ``connection.execute``), and never served to a
  viewer whose own latest write (in any worker) is newer than the part: one's own
  contribution shows at once. Other people's writes in another worker show within
  ``SHARED_PARTS_SECONDS``, as with the anonymous page cache.
* A worker keeps at most ``_MAX_ENTRIES`` parts and ``_MAX_BYTES`` of them, counted as
  Python holds them (a string with one narrow no-break space weighs two bytes a
  character), with their key's path and query; all are dropped when either is reached. The
  query string stays in the key whole, unknown parameters too: the guard does not see what
  a view read of it before the template (a filter, a page number), so no parameter can be
  proved ignored; a query varied at will only fills the bound sooner.
"""

from __future__ import annotations

import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Hashable
from contextvars import ContextVar

from flask import current_app, session
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
_MAX_BYTES = 32_000_000
# What an entry weighs besides its HTML and its request's path (its key and tuples).
_ENTRY_BYTES = 600

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
    parts show is then not read at all when they are served kept.

    Loaded once per request, as whoever reads them first: inside a shared part, the
    audience (the loader runs under the part's guard); anywhere else, the viewer. Values
    loaded for the viewer are theirs: a shared part that reads them later is personal
    (:class:`PersonalPart`), never kept with them inside."""

    __slots__ = ("_load", "_values", "_personal")

    def __init__(self, load: Callable[[], dict]):
        self._load, self._values, self._personal = load, None, False

    def __getattr__(self, name):
        if self._values is None:
            self._personal = not _rendering_shared.get()
            self._values = self._load()
        elif self._personal and _rendering_shared.get():
            raise PersonalPart(f"deferred values loaded for the viewer ({name})")
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


class _Refused:
    """Stands for something of the request that is the viewer's (their cookies, the
    flashed messages already read, the request's body) while a shared part renders: any
    use of it raises :class:`PersonalPart`."""

    __slots__ = ("what",)

    def __init__(self, what: str):
        object.__setattr__(self, "what", what)

    def _refuse(self, *_args, **_kwargs):
        raise PersonalPart(object.__getattribute__(self, "what"))

    def __getattr__(self, name):
        self._refuse()

    __getitem__ = __contains__ = __iter__ = __len__ = __bool__ = __call__ = _refuse
    __str__ = __html__ = __eq__ = __lt__ = __hash__ = _refuse


class _GuardedHeaders:
    """The request's headers as a shared part sees them: ``HX-Request`` (in the key of
    every part) answers; any other (``Authorization``, ``Accept-Language``, ``Cookie``…)
    raises :class:`PersonalPart`."""

    __slots__ = ("headers",)

    def __init__(self, headers):
        self.headers = headers

    def get(self, name, default=None, type=None):
        if name.lower() != "hx-request":
            raise PersonalPart(f"request.headers[{name!r}]")
        return self.headers.get(name, default, type)

    def __getitem__(self, name):
        if name.lower() != "hx-request":
            raise PersonalPart(f"request.headers[{name!r}]")
        return self.headers[name]

    def __contains__(self, name):
        if name.lower() != "hx-request":
            raise PersonalPart(f"{name!r} in request.headers")
        return name in self.headers

    def __getattr__(self, name):
        raise PersonalPart(f"request.headers.{name}")

    def __iter__(self):
        raise PersonalPart("iter(request.headers)")


# What a shared part reads of the request as it is: where the request goes (all in the key:
# host, scheme, script root, path and query, method) and what the URL map made of it.
# Everything else the request holds (``headers`` but ``HX-Request``, ``cookies``,
# ``environ``, ``remote_addr``, the body, and what was parsed from them: ``user_agent``,
# ``accept_languages``…) raises :class:`PersonalPart` inside a shared part.
_REQUEST_AS_IS = frozenset(
    {
        "method",
        "scheme",
        "server",
        "root_path",
        "path",
        "query_string",
        "args",
        "host",
        "url",
        "base_url",
        "root_url",
        "host_url",
        "url_rule",
        "view_args",
        "routing_exception",
        "shallow",
        "json_module",
    }
)
# What a shared part reads of ``g`` as it is: nothing about the viewer (the language and
# its catalogue, memos of what is hidden or missing for everyone, when the request began).
# Anything else the request stored there before the part (a before_request's value for the
# viewer, Flask-WTF's CSRF token, memos keyed by the viewer) raises :class:`PersonalPart`;
# what the part stores there itself is dropped after it, but for these names.
_G_AS_IS = frozenset(
    {
        "_flask_babel",
        "hub_request_started",
        "hub_request_data_version",
        "hub_hidden",
        "hub_missing_threads",
        "hub_report_figures",
        # Keyed on the viewer, or inside a part on the audience (hub.slots._viewer_key).
        "hub_page_sections",
        "title_lang",
        "hub_page_cache_key",
        "hub_page_cache_hit",
    }
)
# Names of ``g`` a part finds empty, whatever the request put there (its own entries dropped
# after it): the forms built in this request (hub.forms, for errors no template showed) hold
# what the viewer typed; a part building a form (a GET: nothing typed, no error) adds its own.
_G_FRESH = {"hub_forms": list}
_STASHED = "_hub_stashed_for_shared_part"


def _refuse_stashed(namespace, name: str) -> None:
    if name in namespace.__dict__.get(_STASHED, ()):
        raise PersonalPart(f"g.{name}")


class _GuardedGlobalsMixin:
    """``g`` while a shared part renders (its class is swapped in place: templates hold the
    object itself): what the request stored there for the viewer raises
    :class:`PersonalPart` when asked, instead of answering or looking absent."""

    def __getattr__(self, name):
        _refuse_stashed(self, name)
        raise AttributeError(name)

    def get(self, name, default=None):
        values = self.__dict__
        if name in values:
            return values[name]
        _refuse_stashed(self, name)
        return default

    def pop(self, name, *default):
        values = self.__dict__
        if name not in values:
            _refuse_stashed(self, name)
        return values.pop(name, *default)

    def setdefault(self, name, default=None):
        values = self.__dict__
        if name not in values:
            _refuse_stashed(self, name)
        return values.setdefault(name, default)

    def __contains__(self, name):
        if name in self.__dict__:
            return True
        _refuse_stashed(self, name)
        return False

    def __iter__(self):
        raise PersonalPart("iter(g)")


_guarded_globals_classes: dict[type, type] = {}


def _guarded_globals_class(cls: type) -> type:
    guarded = _guarded_globals_classes.get(cls)
    if guarded is None:
        guarded = _guarded_globals_classes[cls] = type(
            f"Guarded{cls.__name__}", (_GuardedGlobalsMixin, cls), {}
        )
    return guarded


class SharedParts:
    """The parts of one application, in this worker."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.entries: dict = {}
        self.bytes = 0
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.bytes = 0


def _weight(segments, request_key) -> int:
    """The memory a kept part holds, in bytes: its HTML (or the pieces between its personal
    bits) as Python stores it (one to four bytes a character: a single narrow no-break space
    makes the whole string two), its request's path and query, and the entry itself."""
    weight = _ENTRY_BYTES + sys.getsizeof(request_key[-1][3])
    if segments is None:
        return weight
    if isinstance(segments, str):
        return weight + sys.getsizeof(segments)
    return weight + sum(sys.getsizeof(segment) for segment in segments)


def shared_part(site: Hashable, keys: Hashable, render: Callable[[], str]) -> Markup:
    """``render()``'s HTML, shared by every viewer with the same audience (module doc)."""
    app_context = _cv_app.get()
    parts: SharedParts | None = app_context.app.extensions.get("hub_shared_parts")
    request_context = _cv_request.get(None)
    if parts is None or parts.seconds <= 0 or request_context is None:
        return Markup(render())
    if _rendering_shared.get():  # a part inside a part: the outer one is kept
        return Markup(render())
    if request_context.request.method not in ("GET", "HEAD"):
        # A form sent back (a 422 re-display, an htmx answer) may show what this viewer typed
        # or changed and has not committed: rendered for them alone, never kept.
        return Markup(render())
    # The key of the request's previous part, while the viewer, the language and the
    # settings are the same (subscripts only: a page asks for a dozen parts).
    state = app_context.g.__dict__
    try:
        memo = request_context.__dict__["hub_shared_key"]
        if (
            memo[0] is not state["_login_user"]
            or memo[1] is not state["_flask_babel"].babel_locale
            or memo[2] != app_context.app.extensions["hub"].settings.version
        ):
            raise KeyError("hub_shared_key")
    except (KeyError, AttributeError):
        memo = _key_of_request(request_context, app_context)
    audience, wrote_at, request_key = memo[3:]
    key = (site, keys, request_key)
    now = time.monotonic()
    version = datacache._version
    found = parts.entries.get(key)
    if found is not None:
        entry, expires, entry_version, started, _weight_of = found
        if expires > now and entry_version == version and started > wrote_at:
            return Markup(render()) if entry is None else _fill(entry)
    started = state.get("hub_request_started", 0.0)
    started_version = state.get("hub_request_data_version", version)
    entry = _render_as_audience(render, audience)
    if started_version == version:  # else this request wrote before: not kept
        weight = _weight(None if entry is None else entry[0], request_key)
        with parts.lock:
            replaced = parts.entries.get(key)
            if replaced is not None:
                parts.bytes -= replaced[4]
            if len(parts.entries) >= _MAX_ENTRIES or parts.bytes + weight > _MAX_BYTES:
                parts.entries.clear()
                parts.bytes = 0
            parts.bytes += weight
            # ``None``: the part turned out personal; remembered so as not to try each time.
            parts.entries[key] = (entry, now + parts.seconds, version, started, weight)
    return Markup(render()) if entry is None else _fill(entry)


def _key_of_request(request_context, app_context) -> tuple:
    """The viewer, the language and the settings version the key was made for; the viewer's
    audience and the time of their latest write; what the key of every part holds besides
    the part's own keys.

    Where the request goes (host, scheme, script root, path and query, method,
    ``HX-Request``) is read once per request; the viewer and the language are checked for
    each part: a request may log someone in, or render a part in another language
    (``force_locale``: a message sent while a page is made), before its next part."""
    fields = request_context.__dict__
    route = fields.get("hub_shared_route")
    if route is None:
        request = request_context.request
        route = fields["hub_shared_route"] = (
            request.host,
            request.scheme,
            request.script_root,
            request.full_path,
            request.method,
            request.headers.get("HX-Request", ""),
        )
    user = current_user._get_current_object()
    audience = AudienceViewer(user)
    wrote_at = session.get(WROTE_AT, 0) if audience.is_authenticated else 0
    locale = locale_name()
    state = app_context.g.__dict__
    hub = app_context.app.extensions["hub"]
    memo = fields["hub_shared_key"] = (
        state.get("_login_user", user),
        getattr(state.get("_flask_babel"), "babel_locale", None),
        hub.settings.version,
        audience,
        wrote_at,
        (audience.key, locale, hub.settings.version, hub.plugins.disabled, route),
    )
    return memo


def _render_as_audience(render, audience: AudienceViewer) -> tuple | None:
    """The part as the audience sees it (its HTML cut at its personal bits, and these
    bits), or None when it asked for something personal outside a personal bit."""
    request_context = _cv_request.get()
    namespace = _cv_app.get().g
    holes: list = []
    guarded = _enter_guard(request_context, namespace, audience)
    token = _rendering_shared.set(True)
    holes_token = _holes_of_part.set(holes)
    try:
        html = Markup(render())
    except PersonalPart as asked:
        current_app.logger.debug("shared part %s is personal: %s", render, asked)
        return None
    finally:
        _holes_of_part.reset(holes_token)
        _rendering_shared.reset(token)
        _leave_guard(request_context, namespace, guarded)
    if not holes:
        return html, ()
    return [Markup(part) for part in _HOLE.split(html)], tuple(holes)


def _enter_guard(request_context, namespace, audience: AudienceViewer) -> tuple:
    """Everything personal of the request put out of a shared part's reach (in place:
    templates hold ``request`` and ``g`` themselves, not proxies): the viewer becomes their
    audience; the session, the flashed messages, the request's fields but where it goes,
    and what the request stored in ``g`` before raise :class:`PersonalPart` when used."""
    fields = request_context.request.__dict__
    swapped = {name: value for name, value in fields.items() if name not in _REQUEST_AS_IS}
    for name, value in swapped.items():
        fields[name] = _GuardedHeaders(value) if name == "headers" else _Refused(f"request.{name}")
    real_session, real_flashes = request_context._session, request_context.flashes
    request_context._session = _GuardedSession()
    request_context.flashes = _Refused("get_flashed_messages()")
    values = namespace.__dict__
    stashed = {name: values.pop(name) for name in list(values) if name not in _G_AS_IS}
    values[_STASHED] = stashed
    for name, empty in _G_FRESH.items():
        values[name] = empty()
    values["_login_user"] = audience
    real_class = namespace.__class__
    # ``g.__class__ = …`` would store an attribute named so: ``g`` sets into its dict.
    object.__setattr__(namespace, "__class__", _guarded_globals_class(real_class))
    return swapped, real_session, real_flashes, stashed, real_class


def _leave_guard(request_context, namespace, guarded: tuple) -> None:
    """Puts back what :func:`_enter_guard` took away; what the part stored in ``g`` (but
    memos of :data:`_G_AS_IS`) is dropped: it was made for the audience."""
    swapped, real_session, real_flashes, stashed, real_class = guarded
    object.__setattr__(namespace, "__class__", real_class)
    values = namespace.__dict__
    for name in [name for name in values if name not in _G_AS_IS]:
        del values[name]
    values.update(stashed)
    request_context.request.__dict__.update(swapped)
    request_context._session = real_session
    request_context.flashes = real_flashes


def _note_request_start() -> None:
    values = _cv_app.get().g.__dict__  # not through the ``g`` proxy: every request
    values["hub_request_started"] = time.time()
    values["hub_request_data_version"] = datacache._version


def _note_own_write(response):
    """Records the time of the viewer's write in their session (read-your-writes)."""
    values = _cv_app.get().g.__dict__
    if "hub_wrote" in values and values.pop("hub_wrote"):
        user = values.get("_login_user")
        if user is not None and getattr(user, "is_authenticated", False):
            session[WROTE_AT] = time.time()
    return response


def init_app(app) -> None:
    app.config.setdefault("SHARED_PARTS_SECONDS", 5)
    app.extensions["hub_shared_parts"] = SharedParts(float(app.config["SHARED_PARTS_SECONDS"]))
    app.before_request_funcs.setdefault(None, []).insert(0, _note_request_start)
    app.after_request(_note_own_write)
    app.jinja_env.globals["personal"] = personal
    # Templates read ``current_user`` as the proxy, not the user object (a shared part swaps
    # the viewer for their audience): a global, not Flask-Login's context processor, which
    # every render called.
    app.jinja_env.globals["current_user"] = current_user
    processors = app.template_context_processors[None]
    processors[:] = [
        processor
        for processor in processors
        if getattr(processor, "__name__", "") != "_user_context_processor"
    ]
