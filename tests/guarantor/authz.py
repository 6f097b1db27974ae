"""Authorisation rules of the independent guarantor's routes (collected by
tests/authz_rules.py with the core's table)."""

from __future__ import annotations

from authz_rules import World, everyone, roles, world_setup


@world_setup
def guarantor_world(w: World) -> None:
    """A guarantor account and an opinion on the open project."""
    from hub.accounts.services import create_user
    from hub.extensions import db
    from hub.guarantor.models import Opinion

    garant = create_user(
        "garant-matrice@ormeval.example", "demo-password", "Garant", confirmed=True
    )
    garant.set_roles(["guarantor"])
    db.session.flush()
    opinion = Opinion(
        target_type="project", target_id=w.project_id, text="Avis du garant", author_id=garant.id
    )
    db.session.add(opinion)
    db.session.commit()
    w.opinion_id = opinion.id


RULES = {
    "guarantor.index": everyone(),
    "guarantor.audit": roles(note="guarantors and admins; no persona is a guarantor"),
    "guarantor.publish": roles(
        values=lambda w: {"target_type": "project", "target_id": w.project_id},
        expect={"admin": {403}},
        note="the guarantor only (no persona is one): even an admin is refused",
    ),
    "guarantor.answer": roles(
        "agent",
        "elected",
        values=lambda w: {"opinion_id": w.opinion_id},
        note="who may answer on the project",
    ),
}
