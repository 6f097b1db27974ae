"""Who may use each route of the interpellation plugin (collected by tests/authz_rules.py)."""

from __future__ import annotations

from authz_rules import (
    PERSONAS,
    World,
    everyone,
    logged_in,
    only,
    roles,
    world_setup,
)


@world_setup
def interpellation_world(w: World) -> None:
    """An interpellation of the author still forming its committee, and the demo's others."""
    from sqlalchemy import select

    from hub.accounts.models import User
    from hub.extensions import db
    from plugins.interpellation import services
    from plugins.interpellation.models import Interpellation

    author = db.session.scalar(select(User).where(User.email == PERSONAS["author"]))
    with w.app.test_request_context():
        forming = services.create(
            author,
            title="Interpellation de la matrice des droits",
            body="Texte " * 20,
            kind="question",
            council="municipal",
            competence="Voirie et espaces publics",
        )
    w.forming_interpellation_id, w.committee_token = forming.id, forming.committee_token
    w.collecting_interpellation_id = w.first_id(
        Interpellation, Interpellation.stage == "collecting"
    )
    w.review_interpellation_id = w.first_id(Interpellation, Interpellation.stage == "review")
    w.scheduled_interpellation_id = w.first_id(Interpellation, Interpellation.stage == "scheduled")
    w.answered_interpellation_id = w.first_id(Interpellation, Interpellation.stage == "answered")


RULES = {
    "interpellation.index": everyone(),
    "interpellation.detail": [
        everyone(values=lambda w: {"interpellation_id": w.collecting_interpellation_id}),
        only(
            "author",
            "agent",
            "elected",
            "admin",
            values=lambda w: {"interpellation_id": w.forming_interpellation_id},
            deny={404},
            expect={"anonymous": {404}},
            note="before filing: its committee and the staff who follow interpellations",
        ),
    ],
    "interpellation.new": only(
        "verified",
        "author",
        "body_member",
        note="verified residents only (they form the committee)",
    ),
    "interpellation.join": everyone(
        values=lambda w: {"token": w.committee_token},
        post_probe=False,
        note="a POST adds a committee member",
    ),
    "interpellation.sign": logged_in(
        values=lambda w: {"interpellation_id": w.collecting_interpellation_id},
        post_ok={302},
        note="signed or refused, back to the interpellation",
    ),
    "interpellation.review": roles(
        "agent", values=lambda w: {"interpellation_id": w.review_interpellation_id}
    ),
    "interpellation.session": roles(
        "agent", values=lambda w: {"interpellation_id": w.scheduled_interpellation_id}
    ),
    "interpellation.answer": roles(
        "agent", "elected", values=lambda w: {"interpellation_id": w.scheduled_interpellation_id}
    ),
    "interpellation.correct_answer": roles(
        "agent",
        "elected",
        values=lambda w: {"interpellation_id": w.answered_interpellation_id},
        note="an empty POST is refused (422): nothing is corrected",
    ),
    "interpellation_api.list_interpellations": everyone(),
    "interpellation_api.get_interpellation": everyone(
        values=lambda w: {"interpellation_id": w.collecting_interpellation_id}
    ),
    "interpellation_api.sign": logged_in(
        values=lambda w: {"interpellation_id": w.collecting_interpellation_id},
        post_ok={201, 403, 409},
        note="201 signed, 403 not eligible, 409 already signed",
    ),
}
