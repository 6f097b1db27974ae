"""Authorisation rules of draws among contributions (collected by tests/authz_rules.py):
whoever manages the object announces and draws; everyone reads and recomputes."""

from __future__ import annotations

from authz_rules import World, everyone, roles, world_setup


@world_setup
def lots_world(w: World) -> None:
    from datetime import timedelta

    from hub.db import utcnow
    from hub.extensions import db
    from hub.lots.models import Lot

    lot = Lot(
        target_type="project",
        target_id=w.project_id,
        title="Tirage de la matrice des droits",
        seats=1,
        rows=[{"key": "a", "category": ""}, {"key": "b", "category": ""}],
        register_sha256="0" * 64,
        seed_source="Loto",
        seed_count=1,
        not_before=utcnow() + timedelta(days=30),
    )
    db.session.add(lot)
    db.session.commit()
    w.lot_id = lot.id


RULES = {
    "lots.new": roles(
        "agent",
        values=lambda w: {"target_type": "project", "target_id": w.project_id},
        note="the project's managers (agents); an empty form: 422",
    ),
    "lots.show": everyone(
        values=lambda w: {"lot_id": w.lot_id},
        post_allow={"agent", "admin"},
        note="public; a POST draws (managers only, 422 before the announced time)",
    ),
    "lots.verify": everyone(values=lambda w: {"lot_id": w.lot_id}),
}
