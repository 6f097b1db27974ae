"""The table of XSS fillers: for each feature, a function that types the corpus of
``xss_corpus.PAYLOADS`` into the text fields a resident fills and checks the pages that show
them (tests/browser/test_xss.py runs each one in Chromium).

A feature keeps its filler beside its code, as it keeps its authorisation rules:
``plugins/<name>/tests/xss.py`` or ``tests/<feature>/xss.py`` defines ``XSS_FIELDS``, a dict
``name -> function(*, live_server, logged_in, new_context) -> list of problems``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

FIELDS: dict[str, Callable[..., list[str]]] = {}


def feature_files(kind: str) -> list[Path]:
    """``<kind>.py`` files that live with their feature (plugins first, then core areas)."""
    root = Path(__file__).resolve().parent.parent
    return sorted(root.glob(f"plugins/*/tests/{kind}.py")) + sorted(root.glob(f"tests/*/{kind}.py"))


def load_feature_module(path: Path, prefix: str):
    owner = path.parent.parent.name if path.parent.name == "tests" else path.parent.name
    name = f"{prefix}_{owner}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _collect() -> None:
    for path in feature_files("xss"):
        module = load_feature_module(path, "xss_fields_of")
        for name, function in module.XSS_FIELDS.items():
            if name in FIELDS:
                raise RuntimeError(f"{path}: XSS fields {name!r} are already filled elsewhere")
            FIELDS[name] = function


_collect()
