"""Rate limits on signing, for every owner's signing views (web form, htmx and API): the
``sign`` kind of :func:`hub.ratelimits.limit_writes` (``RATELIMIT_SIGN``, per account, and
``RATELIMIT_SIGN_IP``)."""

from __future__ import annotations

from ..ratelimits import limit_writes

limit_signing = limit_writes("sign")
