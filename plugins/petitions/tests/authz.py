"""Who may use each route of the petitions plugin (collected by tests/authz_rules.py)."""

from __future__ import annotations

from authz_rules import (
    PERSONAS,
    World,
    confirmed,
    everyone,
    logged_in,
    only,
    roles,
    world_setup,
)


@world_setup
def petitions_world(w: World) -> None:
    from datetime import date

    from sqlalchemy import select

    from hub.accounts.models import User
    from hub.extensions import db
    from plugins.petitions import services
    from plugins.petitions.models import Petition

    author = db.session.scalar(select(User).where(User.email == PERSONAS["author"]))
    with w.app.test_request_context():
        draft = services.create_draft(
            author,
            title="Brouillon de la matrice des droits",
            body="Texte " * 20,
            addressee="mayor",
        )
        waiting = services.create_draft(
            author,
            title="Pétition en attente de modération",
            body="Texte " * 20,
            addressee="council",
        )
        services.submit_for_moderation(waiting)
        db.session.commit()
    w.draft_petition_id, w.moderation_petition_id = draft.id, waiting.id
    w.open_petition_id = w.first_id(
        Petition, Petition.status == "open", Petition.answer_id.is_(None)
    )
    w.answered_petition_id = w.first_id(Petition, Petition.answer_id.is_not(None))
    with w.app.app_context():
        # A petition past its debate threshold, its debate still to set.
        due = db.session.get(Petition, w.open_petition_id)
        due.debate_due_on = date(2030, 1, 1)
        db.session.commit()
    with w.app.app_context():
        w.support_token = db.session.scalar(
            select(Petition.supporters_token).where(Petition.status == "gathering")
        )


RULES = {
    "petitions.index": everyone(),
    "petitions.detail": [
        everyone(values=lambda w: {"petition_id": w.open_petition_id}),
        roles(
            "author",
            "moderator",
            values=lambda w: {"petition_id": w.draft_petition_id},
            deny={404},
            expect={"anonymous": {404}},
            note="a draft: its author and moderators",
        ),
    ],
    "petitions.count": everyone(values=lambda w: {"petition_id": w.open_petition_id}),
    "petitions.new": logged_in(
        expect={"unconfirmed": {302}}, note="unconfirmed accounts are sent to confirm their email"
    ),
    "petitions.edit": [
        only(
            "author",
            values=lambda w: {"petition_id": w.draft_petition_id},
            deny={404},
            expect={"moderator": {403}, "admin": {403}},
            note="moderators see the draft but only its author edits it",
        ),
    ],
    "petitions.gather": only(
        "author",
        values=lambda w: {"petition_id": w.draft_petition_id},
        deny={404},
        expect={"moderator": {403}, "admin": {403}},
        post_probe=False,
        note="would send the draft to its supporters",
    ),
    "petitions.support": everyone(
        values=lambda w: {"token": w.support_token},
        post_probe=False,
        note="a POST adds a supporter",
    ),
    "petitions.sign": logged_in(
        values=lambda w: {"petition_id": w.open_petition_id},
        post_ok={302},
        note="signed or refused, back to the petition",
    ),
    "petitions.moderation_queue": roles("moderator"),
    "petitions.moderate": roles(
        "moderator", values=lambda w: {"petition_id": w.moderation_petition_id}
    ),
    "petitions.answer": roles(
        "agent", "elected", values=lambda w: {"petition_id": w.open_petition_id}
    ),
    "petitions.correct_answer": roles(
        "agent",
        "elected",
        values=lambda w: {"petition_id": w.answered_petition_id},
        note="an empty POST is refused (422): nothing is corrected",
    ),
    "petitions.debate": roles(
        "agent", "elected", values=lambda w: {"petition_id": w.open_petition_id}
    ),
    "petitions.list_json": everyone(),
    "petitions.list_csv": everyone(),
    "petitions.petition_json": everyone(values=lambda w: {"petition_id": w.open_petition_id}),
    "petitions.petition_csv": everyone(values=lambda w: {"petition_id": w.open_petition_id}),
    "petitions_api.list_petitions": everyone(),
    "petitions_api.get_petition": everyone(values=lambda w: {"petition_id": w.open_petition_id}),
    "petitions_api.create_petition": confirmed(
        post_ok={422}, expect={"unconfirmed": {403}}, note="an empty body is refused: 422"
    ),
    "petitions_api.sign": logged_in(
        values=lambda w: {"petition_id": w.open_petition_id},
        post_ok={201, 403, 409},
        note="201 signed, 403 not eligible, 409 already signed",
    ),
}
