"""The OParl 1.1 endpoint: ``/oparl/v1/system``, the body, its external object lists (paged,
stable order, ``created_since``/``modified_since`` filters, tombstones with ``modified_since``)
and every object at its own address. Public, read-only JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify, request
from sqlalchemy import func, select

from ..extensions import db
from ..web import MAX_ID, external_url, int_arg
from . import export
from .models import OParlEntry

bp = Blueprint("oparl", __name__, url_prefix="/oparl/v1")

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# The body's external lists: name in the URL -> kind in ``oparl_entry`` (None: always empty).
LISTS = {
    "organization": "organization",
    "meeting": "meeting",
    "paper": "paper",
    "agendaItem": "agendaItem",
    "person": None,  # residents and members are not published as persons
}
FILTERS = ("created_since", "created_until", "modified_since", "modified_until")


def _json(data, status: int = 200):
    response = jsonify(data)
    response.status_code = status
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _error(status: int, message: str):
    return _json(
        {"type": "https://schema.oparl.org/1.1/Error", "message": message, "debug": ""}, status
    )


def _bounds() -> tuple[datetime | None, datetime | None]:
    """The earliest created and latest modified of the entries (the body's dates)."""
    first, last = db.session.execute(
        select(func.min(OParlEntry.created_at), func.max(OParlEntry.modified_at))
    ).one()
    return first, last


def _system() -> dict:
    first, last = _bounds()
    return {
        "id": external_url("oparl.system"),
        "type": export.VERSION + "System",
        "oparlVersion": export.VERSION,
        "name": export.system_name(),
        "body": external_url("oparl.bodies"),
        "website": external_url("main.home"),
        "created": export.stamp(first),
        "modified": export.stamp(last),
    }


def _body() -> dict:
    first, last = _bounds()
    lists = {
        name: external_url("oparl.body_list", body_key=export.BODY_KEY, name=name) for name in LISTS
    }
    return {
        "id": export.body_id(),
        "type": export.VERSION + "Body",
        "system": external_url("oparl.system"),
        "name": export.system_name(),
        "website": external_url("main.home"),
        "legislativeTerm": [],
        **lists,
        "web": external_url("main.home"),
        "created": export.stamp(first),
        "modified": export.stamp(last),
    }


@bp.route("/system")
def system():
    return _json(_system())


@bp.route("/bodies")
def bodies():
    return _json(
        {
            "data": [_body()],
            "pagination": {"totalElements": 1, "elementsPerPage": 1},
            "links": {},
        }
    )


@bp.route("/body/<body_key>")
def body(body_key: str):
    if body_key != export.BODY_KEY:
        return _error(404, "No such body.")
    return _json(_body())


def _moment(name: str) -> datetime | None:
    """A filter's time (RFC 3339, or a date) as naive UTC; ValueError when unreadable."""
    value = request.args.get(name, "")
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@bp.route("/body/<body_key>/<name>")
def body_list(body_key: str, name: str):
    if body_key != export.BODY_KEY or name not in LISTS:
        return _error(404, "No such list.")
    try:
        bounds = {f: _moment(f) for f in FILTERS}
    except ValueError:
        return _error(400, "Filters take a date and time in RFC 3339 (2026-01-31T12:00:00Z).")
    limit = int_arg("limit", maximum=MAX_ID) or PAGE_SIZE
    limit = min(limit, MAX_PAGE_SIZE)
    after = int_arg("after", minimum=0)
    if after is None and request.args.get("after"):
        return _error(400, "The after cursor is a whole number from a next link.")
    after = after or 0
    kind = LISTS[name]
    rows: list[OParlEntry] = []
    if kind is not None:
        query = select(OParlEntry).where(OParlEntry.kind == kind, OParlEntry.id > after)
        if bounds["modified_since"] is None:
            query = query.where(OParlEntry.deleted.is_(False))  # tombstones only for updates
        else:
            query = query.where(OParlEntry.modified_at >= bounds["modified_since"])
        if bounds["modified_until"] is not None:
            query = query.where(OParlEntry.modified_at <= bounds["modified_until"])
        if bounds["created_since"] is not None:
            query = query.where(OParlEntry.created_at >= bounds["created_since"])
        if bounds["created_until"] is not None:
            query = query.where(OParlEntry.created_at <= bounds["created_until"])
        rows = db.session.scalars(query.order_by(OParlEntry.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    kept = {k: v for k, v in request.args.items() if k in FILTERS or k == "limit"}

    def link(**extra) -> str:
        return external_url("oparl.body_list", body_key=body_key, name=name, **kept, **extra)

    links = {"first": link(), "self": link(**({"after": after} if after else {}))}
    if more:
        links["next"] = link(after=rows[-1].id)
    return _json(
        {
            "data": [export.serialise(r) for r in rows],
            "pagination": {"elementsPerPage": limit},
            "links": links,
        }
    )


@bp.route("/<kind>/<key>")
def entry(kind: str, key: str):
    if kind not in export.TYPES:
        return _error(404, "No such object.")
    row = db.session.scalar(
        select(OParlEntry).where(OParlEntry.kind == kind, OParlEntry.key == key)
    )
    if row is None:
        return _error(404, "No such object.")
    return _json(export.serialise(row))
