"""Links people type (a body's website, a session's online address, a document's link, a
budget project's image…) are shown as ``href``: escaping does not stop a ``javascript:``
link. Every link field of every form refuses any scheme but http and https, whatever the
wtforms version's defaults (the attack pass of issue 11)."""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from tests.security.test_malformed_input import _all_forms

HOSTILE = [
    "javascript://example.org/%0aalert(1)",
    "javascript:alert(1)",
    "JaVaScRiPt://example.org/%0aalert(1)",
    "data://example.org/text/html,<script>alert(1)</script>",
    "vbscript://example.org/x",
    "//evil.example/x",
]
LINK_NAMES = re.compile(r"(^|_)(url|website|link|href)($|_)")


def test_every_link_field_refuses_other_schemes(app):
    checked, problems = 0, []
    for cls in _all_forms():
        with app.test_request_context("/", method="POST"):
            probe = cls(formdata=None, meta={"csrf": False})
            names = [f.name for f in probe if f.type == "StringField" and LINK_NAMES.search(f.name)]
            for name in names:
                for value in HOSTILE:
                    form = cls(formdata=MultiDict({name: value}), meta={"csrf": False})
                    for field in form:
                        if hasattr(field, "choices") and field.choices is None:
                            field.choices = []
                    form.validate()
                    checked += 1
                    if not form[name].errors:
                        problems.append(f"{cls.__module__}.{cls.__name__}.{name}: {value}")
    assert checked >= 30
    assert not problems, "\n".join(problems)
