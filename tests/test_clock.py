"""Days and times come from the hub's time zone (``TIMEZONE``) or are UTC timestamps, never
from the server's own clock settings: a server running in UTC would otherwise change "today"
at 01:00 or 02:00 in Paris."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {ROOT / "hub" / "timeutil.py", ROOT / "hub" / "scaffold.py"}


def naive_clock_reads(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        if name == "date" and node.func.attr == "today":
            yield node.lineno, "date.today()"
        if name == "datetime" and node.func.attr in ("today", "utcnow"):
            yield node.lineno, f"datetime.{node.func.attr}()"
        if name == "datetime" and node.func.attr == "now" and not node.args and not node.keywords:
            yield node.lineno, "datetime.now()"


def test_no_code_reads_the_servers_local_clock():
    found = []
    for base in (ROOT / "hub", ROOT / "plugins"):
        for path in base.rglob("*.py"):
            if path in ALLOWED or "tests" in path.parts or "versions" in path.parts:
                continue
            found += [
                f"{path.relative_to(ROOT)}:{line} {call}: use hub.timeutil "
                f"(local_today, local_now) or utcnow()"
                for line, call in naive_clock_reads(path)
            ]
    assert not found, "\n".join(found)


def test_the_check_sees_each_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from datetime import date, datetime\n"
        "a = date.today()\nb = datetime.now()\nc = datetime.utcnow()\n"
        "d = datetime.now(tz)\n"
    )
    assert [call for _line, call in naive_clock_reads(sample)] == [
        "date.today()",
        "datetime.now()",
        "datetime.utcnow()",
    ]
