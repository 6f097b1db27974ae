"""Fixtures for the participatory-budget engine tests (no Flask app needed)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from plugins.participatory_budget.engine import read_pabulib

PABULIB_DIR = Path(
    os.environ.get("HUB_PABULIB_DIR")
    or Path(__file__).resolve().parents[2] / ".." / "shared" / "pabulib"
).resolve()
_CACHE: dict[str, object] = {}
sys.path.append(str(Path(__file__).parent))  # pb_helpers (after tests/, whose conftest wins)


@pytest.fixture(scope="session")
def pabulib_dir() -> Path:
    if not PABULIB_DIR.is_dir():
        pytest.skip(
            f"Pabulib files not found in {PABULIB_DIR}; set HUB_PABULIB_DIR to run these tests"
        )
    return PABULIB_DIR


@pytest.fixture(scope="session")
def load_pb(pabulib_dir):
    """Parse a file of the shared Pabulib folder once per session."""

    def load(name: str):
        if name not in _CACHE:
            _CACHE[name] = read_pabulib(pabulib_dir / name)
        return _CACHE[name]

    return load
