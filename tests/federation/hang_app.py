"""The hub as gunicorn serves it, wrapped so that a test can kill it in the middle of a
delivery: with ``HUB_TEST_HANG_MARKER`` set, the first request to the inbox is handled in full
(its transaction committed), then the marker file is written and the answer held back until
the test kills the process. The sender never hears that its message arrived."""

from __future__ import annotations

import os
import time
from pathlib import Path

from hub import create_app

app = create_app()


def application(environ, start_response):
    marker = os.environ.get("HUB_TEST_HANG_MARKER")
    if not marker or environ.get("PATH_INFO") != "/federation/v1/inbox" or Path(marker).exists():
        return app(environ, start_response)
    answered = {}

    def hold(status, headers, exc_info=None):
        answered["status"] = status
        return start_response(status, headers, exc_info)

    body = b"".join(app(environ, hold))
    written = Path(marker + ".tmp")
    written.write_text(answered.get("status", ""))
    written.replace(marker)  # whole, at once: the test reads it as soon as it appears
    time.sleep(120)  # killed before this ends
    return [body]
