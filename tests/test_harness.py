"""The test harness itself: what keeps the suite independent of the machine and of how busy it
is (docs/testing.md, "What keeps tests independent of the machine").

Every request of a test run comes from one address (127.0.0.1). A rate limit left at its
production value is shared by the whole run, and a real server with several workers may hand
most requests to one of them: CI failed once when eleven residents logged in through the
gunicorn fixture, whose hand-kept list of lifted limits had missed the login limit. So every
hub a test builds (in-process, in gunicorn, in `hub run`, for the browser) lifts *every* limit
hub/config.py declares; a test of a limit passes its own."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conftest import LIFTED_LIMITS, TEST_CONFIG, server_environment

from hub.config import DEFAULTS

TESTS = Path(__file__).resolve().parent


def declared_limits() -> set[str]:
    return {
        key
        for key, value in DEFAULTS.items()
        if key.startswith("RATELIMIT_") and isinstance(value, str) and " per " in value
    }


def test_the_hub_declares_per_account_and_per_address_limits():
    """The check below means something only if it sees the limits (names as in hub/config)."""
    limits = declared_limits()
    assert {"RATELIMIT_LOGIN", "RATELIMIT_SIGN_IP", "RATELIMIT_WRITE_IP"} <= limits


def _lifted(limit: str | None) -> bool:
    return limit is not None and limit.startswith("1000 per ")


def test_in_process_hubs_lift_every_limit():
    assert set(LIFTED_LIMITS) == declared_limits()
    missing = sorted(k for k in declared_limits() if not _lifted(TEST_CONFIG.get(k)))
    assert not missing, f"TEST_CONFIG keeps production limits: {missing}"


def test_hubs_started_in_another_process_lift_every_limit():
    """gunicorn_server, the federation's two servers: their environment."""
    environment = server_environment(HUB_RATELIMIT_LOGIN="3 per minute")
    missing = sorted(k for k in declared_limits() if not _lifted(environment.get(f"HUB_{k}")))
    assert missing == ["RATELIMIT_LOGIN"], f"production limits in a test server: {missing}"
    assert environment["HUB_RATELIMIT_LOGIN"] == "3 per minute"  # a test of a limit wins


def test_the_browser_hub_lifts_every_limit(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "browser_harness_under_test", TESTS / "browser" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module._app_on(tmp_path, "127.0.0.1", 8)
    missing = sorted(k for k in declared_limits() if not _lifted(app.config.get(k)))
    assert not missing, f"the browser suite's hub keeps production limits: {missing}"


def _sample_value(converter):
    from werkzeug.routing import converters

    if isinstance(converter, converters.FloatConverter):
        return 1.5
    if isinstance(converter, converters.NumberConverter):
        return 7
    if isinstance(converter, converters.UUIDConverter):
        return "12345678-1234-5678-1234-567812345678"
    if isinstance(converter, converters.AnyConverter):
        return sorted(converter.items)[0]
    if isinstance(converter, converters.PathConverter):
        return "a/b c"
    return "x y"


def test_shared_url_builders_build_what_werkzeug_builds(app):
    """conftest.share_url_builders compiles each rule's URL builder once per run: every rule
    of a hub (core and plugins) must build the same URLs, with and without query arguments,
    as a builder werkzeug compiles for that rule alone."""
    from werkzeug.routing.rules import Rule

    if not hasattr(Rule._compile_builder, "original"):
        pytest.skip("this werkzeug release has no per-rule builder to share")
    original = Rule._compile_builder.original
    compared = 0
    for rule in app.url_map.iter_rules():
        values = {
            name: _sample_value(rule._converters[name])
            for name in rule.arguments
            if name not in (rule.defaults or {})
        }
        for append_unknown in (False, True):
            own = original(rule, append_unknown).__get__(rule, None)
            shared = rule._compile_builder(append_unknown).__get__(rule, None)
            extra = {"page": "2", "q": "é&"} if append_unknown else {}
            assert shared(**values, **extra) == own(**values, **extra), rule.rule
            compared += 1
    assert compared > 500
