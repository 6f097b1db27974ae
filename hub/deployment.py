"""Where the hub stands on the network: its public address, the hosts it answers to, the
reverse proxies it trusts, and the warnings a deployment needs at start-up.

- ``BASE_URL`` is the public address. Every absolute URL the hub writes (pages, API, open
  data, iCal, emails) starts with it, never with the request's ``Host`` header, so no
  request can make a cached page point elsewhere.
- ``TRUSTED_HOSTS``: the host names requests may carry. Unset, it is the host of
  ``BASE_URL`` plus the loopback names (health checks on the server itself); other hosts are
  refused with 400. Flask checks it (``request.host``).
- ``TRUSTED_PROXIES``: how many reverse proxies stand in front (nginx: 1). The client address
  is then read from the last that many ``X-Forwarded-For`` entries (werkzeug's ProxyFix),
  so rate limits, signatures and the audit log see the real client, and a client cannot
  choose its own address by sending the header itself.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import sys
from collections import ChainMap
from urllib.parse import urlsplit

from flask import Flask, Response, has_request_context
from flask.globals import _cv_request
from jinja2 import Template
from jinja2.runtime import Context, new_context
from jinja2.utils import _PassArg, internalcode

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<suffix>\.[A-Za-z0-9]+)$")
IMMUTABLE = "public, max-age=31536000, immutable"
# Links kept per worker (see HubFlask._relative_url); the whole memo is dropped when full.
_URL_CACHE_SIZE = 5_000
_SYNC_MEMO_SIZE = 1_000


def _keyable(value) -> bool:
    """A link value the memo keeps: an integer or a short string (a ``next=`` path
    carrying a long query string is built each time)."""
    kind = type(value)
    return kind is int or (kind is str and len(value) <= 120)


class _Template(Template):
    """Jinja's template, cheaper where Jinja walks its globals (a ChainMap of the template's
    own and the environment's, some 130 names) name by name in Python on every render:

    - ``{% from "x.html" import y %}`` reaches the imported template's module with one C set
      difference instead of comparing the two templates' globals through a ``KeysView``
      (some 270 calls for each import of each render). Same answer: the module Jinja keeps
      when no global is new, else Jinja's own path;
    - a render's context gets the globals as one dict (:meth:`new_context`)."""

    def _get_default_module(self, ctx=None):
        if ctx is not None and not ctx.globals_keys.difference(self.globals):
            ctx = None
        return super()._get_default_module(ctx)

    def new_context(self, vars=None, shared=False, locals=None):
        """Jinja's, with the globals handed over as one dict: Jinja copies its ChainMap of
        the template's and the environment's globals name by name in Python (some 120 calls
        for each render, the page's and each part rendered apart: a follow button, a
        discussion), here layer by layer in C. Same names, same values, first layer first."""
        return new_context(
            self.environment, self.name, self.blocks, vars, shared, _flat(self.globals), locals
        )


class _Context(Context):
    """Jinja's context, whose ``call`` (every ``{{ f(...) }}`` of a template: a page makes
    30 to 100) reads a callable's ``jinja_pass_arg`` with ``getattr`` instead of through
    ``_PassArg.from_obj`` twice (four calls fewer each). Same rules: a callable object whose
    ``__call__`` is marked is called through it; the context, evaluation context or
    environment is passed first as marked; loop and block variables are seen by a function
    that takes the context."""

    @internalcode
    def call(__self, __obj, *args, **kwargs):
        if __debug__:
            __traceback_hide__ = True

        method = getattr(__obj, "__call__", None)  # noqa: B004
        if method is not None and getattr(method, "jinja_pass_arg", None) is not None:
            __obj = method
        pass_arg = getattr(__obj, "jinja_pass_arg", None)
        if pass_arg is not None:
            if pass_arg is _PassArg.context:
                if kwargs.get("_loop_vars"):
                    __self = __self.derived(kwargs["_loop_vars"])
                if kwargs.get("_block_vars"):
                    __self = __self.derived(kwargs["_block_vars"])
                args = (__self, *args)
            elif pass_arg is _PassArg.eval_context:
                args = (__self.eval_ctx, *args)
            elif pass_arg is _PassArg.environment:
                args = (__self.environment, *args)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


def _flat(mapping):
    if type(mapping) is not ChainMap:
        return mapping
    flat = {}
    for layer in reversed(mapping.maps):
        flat.update(layer)
    return flat


class HubResponse(Response):
    """Flask's response, handed to the WSGI server without a copy of its headers when
    werkzeug would change nothing in the copy.

    ``get_wsgi_headers`` copies every header into a new ``Headers`` (validating each name and
    value again: some 90 calls a page) so as to adjust the copy: an absolute ``Location``, a
    ``Content-Location`` made a URI, no ``Content-Length`` on 1xx, 204 and 304 answers, one
    computed for a buffered body without it. A response needing none of these (a page: 200
    with its length) gives its own headers, which the caller only turns into a list."""

    def get_wsgi_headers(self, environ):
        status = self.status_code
        if status >= 200 and status != 204 and status != 304:
            has_length = False
            for key, _value in self.headers:
                key = key.lower()
                if key == "location" or key == "content-location":
                    break
                if key == "content-length":
                    has_length = True
            else:
                if has_length or not (self.automatically_set_content_length and self.is_sequence):
                    return self.headers
        return super().get_wsgi_headers(environ)


class HubFlask(Flask):
    """Flask whose external URLs (``url_for(..., _external=True)``, in code and templates)
    start with ``BASE_URL`` when it is set, whatever the request's Host header says, and whose
    static files are linked under fingerprinted names (``hub.3f2a9c1b07.css``): a name that
    changes with the content may be cached for a year, by browsers and by the reverse proxy
    (deploy/nginx.conf serves these names from disk)."""

    _fingerprints: dict
    response_class = HubResponse

    def ensure_sync(self, func):
        """Flask asks this of every hook and view on every request (``before_request``,
        ``after_request``, teardown functions, the view itself), and answers by inspecting
        the function's code flags: some ten calls each, about 120 a request. A function found
        synchronous once is remembered (the hooks and views are the same objects request
        after request); coroutine functions still go through ``async_to_sync`` each time."""
        known = self.__dict__.setdefault("_sync_functions", {})
        try:
            if func in known:
                return func
        except TypeError:  # an unhashable callable: asked every time, as Flask does
            return super().ensure_sync(func)
        wrapped = super().ensure_sync(func)
        if wrapped is func:
            if len(known) >= _SYNC_MEMO_SIZE:
                known.clear()
            known[func] = True
        return wrapped

    def create_jinja_environment(self):
        environment = super().create_jinja_environment()
        environment.template_class = _Template
        environment.context_class = _Context
        return environment

    def static_name(self, filename: str) -> str:
        """``filename`` with the first 10 hex digits of its content's SHA-256 before the
        suffix; unchanged when the file does not exist. Recomputed when the file changes
        (its path is joined once per worker: the stat is made on every call)."""
        paths = self.__dict__.setdefault("_static_paths", {})
        path = paths.get(filename)
        if path is None:
            path = os.path.join(self.static_folder or "", filename)
            if len(paths) >= _URL_CACHE_SIZE:
                paths.clear()
            paths[filename] = path
        try:
            stat = os.stat(path)
        except OSError:
            return filename
        cache = self.__dict__.setdefault("_fingerprints", {})
        key = (filename, stat.st_mtime_ns, stat.st_size)
        name = cache.get(key)
        if name is None:
            with open(path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()[:10]
            stem, dot, suffix = filename.rpartition(".")
            name = f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else filename
            cache[key] = name
        return name

    def _relative_url(self, context, endpoint: str, values: dict) -> str:
        """A page's link (no scheme, host, anchor or method), built once per worker for
        each endpoint and values: werkzeug's build costs about 10 µs, and a page writes 30
        to 80 links (menus, footer, lists), mostly the same ones on every request.

        The key holds everything the built path depends on besides the URL map, which is
        complete once the app serves: the blueprint for a relative endpoint (``.index``),
        the adapter's script name, server name, subdomain and scheme. Values are plain strings and
        short strings only (``url_for`` with any other value builds as usual); the hub has no
        ``url_defaults`` functions (checked when the cache starts). Errors are not kept."""
        adapter = context.url_adapter
        if endpoint[:1] == ".":
            endpoint = (context.request.blueprint or "") + endpoint
            endpoint = endpoint.lstrip(".")
        key = (
            endpoint,
            adapter.script_name,
            adapter.server_name,
            adapter.subdomain,
            adapter.url_scheme,
            *values.items(),
        )
        cache = self.__dict__.get("_url_cache")
        if cache is None:
            if self.url_default_functions:
                return super().url_for(endpoint, **values)
            cache = self.__dict__.setdefault("_url_cache", {})
        url = cache.get(key)
        if url is None:
            url = super().url_for(endpoint, **values)
            if len(cache) >= _URL_CACHE_SIZE:
                cache.clear()
            cache[key] = url
        return url

    def send_static_file(self, filename: str):
        """Serve a fingerprinted name from its file: for a year when the digest is the
        current content's, else (a page older than the file) without caching."""
        match = FINGERPRINTED.match(filename)
        if match is None:
            return super().send_static_file(filename)
        original = match["stem"] + match["suffix"]
        if not os.path.isfile(os.path.join(self.static_folder or "", original)):
            return super().send_static_file(filename)
        response = super().send_static_file(original)
        current = self.static_name(original) == filename
        response.headers["Cache-Control"] = IMMUTABLE if current else "no-cache"
        return response

    def url_for(
        self, /, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None, **values
    ):
        if endpoint == "static" and "filename" in values:
            # The fingerprinted name is in the memo's key: a changed file gets a new link.
            values["filename"] = self.static_name(values["filename"])
        if _anchor is None and _method is None and _scheme is None and not _external:
            context = _cv_request.get(None)
            if context is not None and all(map(_keyable, values.values())):
                return self._relative_url(context, endpoint, values)
        base = (self.config.get("BASE_URL") or "").rstrip("/")
        if base and has_request_context() and (_external or _scheme):
            path = super().url_for(
                endpoint, _anchor=_anchor, _method=_method, _external=False, **values
            )
            return base + path
        return super().url_for(
            endpoint,
            _anchor=_anchor,
            _method=_method,
            _scheme=_scheme,
            _external=_external,
            **values,
        )


def base_url_for(host: str, port: int) -> str:
    """The address ``hub run --host H --port P`` is reached at."""
    if host in ("0.0.0.0", "::", ""):  # every interface: the machine's own name
        import socket

        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def trusted_hosts(config) -> list[str] | None:
    """The host names requests may carry, or None (any) when nothing says which."""
    configured = config.get("TRUSTED_HOSTS")
    if configured:
        return [configured] if isinstance(configured, str) else list(configured)
    host = urlsplit(config.get("BASE_URL") or "").hostname
    if not host:
        return None
    return [host, *LOOPBACK_HOSTS]


class HostGuard:
    """WSGI middleware: a request for a host not in ``trusted`` is handed to the hub as a
    request for the public host, marked refused; the hub answers it with a 400 page (in the
    visitor's language, like every error) that nothing in the Host header can change."""

    def __init__(self, app, trusted: list[str], public_host: str):
        self.app, self.trusted, self.public_host = app, trusted, public_host

    def __call__(self, environ, start_response):
        from werkzeug.sansio.utils import host_is_trusted

        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or ""  # HTTP/1.0
        if not host_is_trusted(host, self.trusted):
            environ["hub.refused_host"] = host
            environ["HTTP_HOST"] = self.public_host
        return self.app(environ, start_response)


def configure(app) -> None:
    """Trusted hosts and proxies, from the configuration (before any other request hook)."""
    from flask import request
    from flask_babel import gettext as _

    hosts = trusted_hosts(app.config)
    app.config["TRUSTED_HOSTS"] = hosts
    if hosts:
        base = urlsplit(app.config.get("BASE_URL") or "")
        app.wsgi_app = HostGuard(app.wsgi_app, hosts, base.netloc or hosts[0])

        @app.before_request
        def _refuse_unknown_hosts():
            if "hub.refused_host" in request.environ:
                from .web import fail

                fail(
                    400,
                    _(
                        "This site does not answer to this address. Its address is %(url)s.",
                        url=app.config.get("BASE_URL") or hosts[0],
                    ),
                )

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def gunicorn_workers() -> int:
    """How many worker processes gunicorn runs, when this process is one of them (else 1).

    Read from gunicorn's own configuration object, the one its arbiter and workers use: the
    count is then right however it was set (``--workers``, a configuration file,
    ``GUNICORN_CMD_ARGS``, ``WEB_CONCURRENCY``). That object is found on the call stack (the
    worker or application loading this app; ``--preload`` loads it in the arbiter). Without
    it, gunicorn's command-line parser reads the arguments and the environment.
    """
    if not os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        return 1
    try:
        cfg = _gunicorn_config()
        if cfg is not None:
            return int(cfg.workers)
        from gunicorn.config import Config

        parser = Config().parser()
        argv = sys.argv[1:] + shlex.split(os.environ.get("GUNICORN_CMD_ARGS", ""))
        args, _rest = parser.parse_known_args(argv)
        workers = args.workers
        if workers is None:
            workers = int(os.environ.get("WEB_CONCURRENCY", 1))
        return int(workers)
    except Exception:  # a gunicorn change must never stop the hub from starting
        return 1


def _gunicorn_config():
    """The ``gunicorn.config.Config`` of the worker or application loading this app."""
    from gunicorn.config import Config

    frame = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        cfg = getattr(owner, "cfg", None)
        if isinstance(cfg, Config):
            return cfg
        frame = frame.f_back
    return None


def startup_warnings(app) -> list[str]:
    """What a production start-up must say about the configuration (also logged)."""
    if app.config.get("TESTING"):
        return []
    warnings = []
    if not app.config.get("BASE_URL"):
        warnings.append(
            "BASE_URL is not set: links in emails and absolute URLs in pages, the API and "
            "open data follow the Host header of each request, and no host is refused. Set "
            "HUB_BASE_URL to the public address (https://participation.example.org)."
        )
    workers = gunicorn_workers()
    if workers > 1 and not app.config.get("REDIS_URL"):
        warnings.append(
            f"{workers} workers run without REDIS_URL: each keeps its own rate-limit counters "
            f"(a client gets up to {workers} times each limit) and its own page cache. Set "
            "HUB_REDIS_URL (redis://127.0.0.1:6379/0)."
        )
    for message in warnings:
        print(f"hub: warning: {message}", file=sys.stderr, flush=True)
    return warnings
