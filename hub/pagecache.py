"""A small in-process cache of the pages that every anonymous visitor sees alike.

It follows the rule of the ``Cache-Control`` header the hub sends: a page is kept only
when a reverse proxy could keep it (a GET answered 200 to a visitor with no session,
no login cookie and no credentials), and for at most ``PAGE_CACHE_SECONDS`` (default
5, below the ``s-maxage`` of 10 declared to proxies). A commune without a reverse
proxy thus still absorbs a spike of readers. The key holds everything such a page
depends on: host, scheme, path and query, the language cookie, ``HX-Request``, and the
hub's generation, so a plugin switched off or a setting changed takes effect at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import current_app, g, request

from .i18n import LANGUAGE_COOKIE

SKIPPED_HEADERS = {"set-cookie", "date", "content-length"}


class PageCache:
    def __init__(self, seconds: float, max_entries: int = 512):
        self.seconds = seconds
        self.max_entries = max_entries
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def key_for_request(self, generation: int):
        """The cache key of this request, or None when its answer may be personal."""
        if self.seconds <= 0 or request.method != "GET" or "Authorization" in request.headers:
            return None
        cookies = request.cookies
        if (
            current_app.config["SESSION_COOKIE_NAME"] in cookies
            or current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies
        ):
            return None
        return (
            # Absolute URLs come from BASE_URL; host and scheme are in the key all the same,
            # so that no header the key leaves out can change what others are served.
            request.host,
            request.scheme,
            request.full_path,
            cookies.get(LANGUAGE_COOKIE, ""),
            request.headers.get("HX-Request", ""),
            generation,
        )

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            stored_at, status, headers, body = entry
            if time.monotonic() - stored_at > self.seconds:
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
        return current_app.response_class(body, status=status, headers=headers)

    def put(self, key, response) -> None:
        if (
            response.status_code != 200
            or response.direct_passthrough
            or not response.headers.get("Cache-Control", "").startswith("public")
        ):
            return
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in SKIPPED_HEADERS]
        entry = (time.monotonic(), response.status_code, headers, response.get_data())
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)


def init_app(app) -> None:
    cache = PageCache(float(app.config.get("PAGE_CACHE_SECONDS", 5)))
    app.extensions["hub_page_cache"] = cache

    def serve_from_cache():
        key = cache.key_for_request(app.extensions["hub"].generation)
        if key is None:
            return None
        cached = cache.get(key)
        if cached is not None:
            g.hub_page_cache_hit = True
            return cached.make_conditional(request)
        g.hub_page_cache_key = key
        return None

    def store_in_cache(response):
        key = g.pop("hub_page_cache_key", None)
        if key is not None:
            cache.put(key, response)
        return response

    return serve_from_cache, store_in_cache
