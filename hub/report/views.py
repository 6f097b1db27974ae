"""The annual report's pages: the list of years, a year's report (printable) and its CSV."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for

from ..text import csv_response
from ..timeutil import local_today
from . import services
from .charts import bar_chart

bp = Blueprint("report", __name__, template_folder="templates")


def _years(year: int | None = None) -> list[int]:
    """The report's years, newest first; with ``year`` (the page's), its figures come in the
    same statement."""
    first = services.first_year(year)
    this_year = local_today().year
    return list(range(this_year, (first or this_year) - 1, -1))


@bp.route("/participation-report")
def index():
    return render_template("report/index.html", years=_years())


@bp.route("/participation-report/<int:year>")
def show(year: int):
    if year not in _years(year):
        abort(404)
    sections = services.annual_report(year)
    return render_template(
        "report/show.html",
        year=year,
        sections=sections,
        bar_chart=bar_chart,
        in_progress=year == local_today().year,
        csv_url=url_for("report.data", year=year),
    )


@bp.route("/participation-report/<int:year>.csv")
def data(year: int):
    if year not in _years(year):
        abort(404)
    rows = list(services.report_rows(services.annual_report(year)))
    return csv_response(rows[0], rows[1:], f"participation-report-{year}.csv")
