"""Templates leave punctuation spacing to the locale: a colon typed with a plain space
before it ("Label : value") shows that space in English and a breakable one in French, where
the rule is a narrow no-break space (``colon()`` and the catalogues give each its own)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Template text between two expressions or after a word, not inside a {# comment #}.
TYPED_COLON = re.compile(r"(\}\}|[A-Za-zÀ-ÿ]) : (\{|[«\"A-Za-zÀ-ÿ])")


def test_no_template_types_the_space_before_a_colon():
    found = []
    for folder in ("hub", "plugins", "themes"):
        for path in (ROOT / folder).rglob("*.html"):
            text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
            for number, line in enumerate(text.splitlines(), 1):
                if TYPED_COLON.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:90]}")
    assert not found, "use {{ colon() }} or a translated message:\n" + "\n".join(found)
