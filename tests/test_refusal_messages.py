"""Every refusal a visitor can read is translatable: a rule error, a draw error or
``fail()`` never carries a bare string literal (it would show in English on a French page).

The federation's wire handlers (functions named ``on_*``) answer another hub in JSON, not
a person, and may keep plain English.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _user_facing(module, func: ast.expr) -> bool:
    from hub.bodies.draw import DrawError
    from hub.errors import RuleError

    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        found = getattr(getattr(module, func.value.id, None), func.attr, None)
    else:
        found = getattr(module, getattr(func, "id", ""), None)
    return isinstance(found, type) and issubclass(found, (RuleError, DrawError))


def _literal_refusals(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = None
    handlers = {
        id(node)
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef) and func.name.startswith("on_")
        for node in ast.walk(func)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in handlers:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name == "fail" and len(node.args) >= 2:
            message = node.args[1]
        elif name and node.args and name.endswith("Error"):
            if module is None:
                module = importlib.import_module(_module_name(path))
            if not _user_facing(module, node.func):
                continue
            message = node.args[0]
        else:
            continue
        if isinstance(message, ast.JoinedStr) or (
            isinstance(message, ast.Constant) and isinstance(message.value, str)
        ):
            yield f"{path.relative_to(ROOT)}:{node.lineno} {name}({ast.unparse(message)[:60]})"


def test_refusals_shown_to_visitors_are_translated():
    found, checked = [], 0
    for base in ("hub", "plugins"):
        for path in sorted((ROOT / base).rglob("*.py")):
            if "tests" in path.parts or "versions" in path.parts:
                continue
            checked += 1
            found += list(_literal_refusals(path))
    assert checked > 100
    assert not found, "wrap these messages in gettext (_ or N_):\n" + "\n".join(found)
