"""Who may use each route of the citizen-initiative plugin (collected by tests/authz_rules.py).

The rules point at the demo's initiatives (plugins/initiative_workshops/demo.py): the author
persona (claire) proposed one still gathering its collective and carries one facilitated by
the body member's conseil de quartier (sofia chairs CQ La Garenne); another waits for that
body's answer; one is submitted; one is decided. Probes that would change the demo (joining,
leaving, submitting, acknowledging) point at initiatives where the rules refuse them whoever
asks, so every persona is checked without changing anything.
"""

from __future__ import annotations

from authz_rules import (
    everyone,
    logged_in,
    only,
    roles,
    world_setup,
)


@world_setup
def initiative_world(w) -> None:
    from plugins.initiative_workshops.models import Initiative

    def by_title(title):
        return w.first_id(Initiative, Initiative.title == title)

    w.aic_proposed_own = by_title("Des toilettes publiques accessibles place du Marché")
    w.aic_asked = by_title("Un composteur collectif rue des Acacias")
    w.aic_working = by_title("Un jardin partagé sur la friche des Lilas")
    w.aic_overdue = by_title("Éclairer le chemin de halage entre le pont et la passerelle")
    w.aic_decided = by_title("Piétonniser tout le centre-ville chaque week-end")


def _id(name):
    return lambda w: {"initiative_id": getattr(w, name)}


VERIFIED = ("verified", "author", "body_member")

RULES = {
    "initiative_workshops.index": everyone(),
    "initiative_workshops.detail": [
        everyone(values=_id("aic_working")),
        everyone(values=_id("aic_decided")),
    ],
    "initiative_workshops.version": everyone(
        values=lambda w: {"initiative_id": w.aic_working, "number": 1}
    ),
    "initiative_workshops.new": only(*VERIFIED, note="verified residents propose"),
    "initiative_workshops.join": only(
        *VERIFIED,
        values=_id("aic_decided"),
        post_ok={302},
        note="verified residents join from their own account (a decided one: refused, 302)",
    ),
    "initiative_workshops.leave": logged_in(
        values=_id("aic_decided"), post_ok={302}, note="decided: the collective no longer changes"
    ),
    "initiative_workshops.submit": roles(
        "author",
        "agent",
        values=_id("aic_proposed_own"),
        post_ok={302},
        note="a member, or the staff on its behalf; not constituted yet: refused, 302",
    ),
    "initiative_workshops.follow": logged_in(
        values=_id("aic_working"),
        post_ok={302},
        expect={"unconfirmed": {403}},
        note="a confirmed email address is needed",
    ),
    "initiative_workshops.comment": logged_in(
        values=_id("aic_working"),
        post_ok={422},
        expect={"unconfirmed": {403}},
        note="an empty comment is refused",
    ),
    "initiative_workshops.sign": logged_in(
        values=_id("aic_decided"),
        post_ok={302},
        note="support closed with the decision: refused, back to the page",
    ),
    "initiative_workshops.dossier": roles(
        "author",
        "body_member",
        "agent",
        values=_id("aic_working"),
        note="the collective, the body facilitating it, the staff",
    ),
    "initiative_workshops.add_document": roles(
        "author", "body_member", "agent", values=_id("aic_working"), post_ok={422}
    ),
    "initiative_workshops.new_session": roles(
        "author", "body_member", "agent", values=_id("aic_working")
    ),
    "initiative_workshops.image": [
        roles(
            "author",
            "agent",
            values=_id("aic_working"),
            post_ok={422},
            note="its collective while the idea is open, the staff; an empty form changes "
            "nothing (no picture chosen): 422",
        ),
        roles(
            "agent",
            values=_id("aic_decided"),
            post_ok={422},
            note="decided: only the staff (a picture that must go)",
        ),
    ],
    "initiative_workshops.withdraw": roles(
        "author", "agent", values=_id("aic_working"), note="its author, or the staff"
    ),
    "initiative_workshops.facilitation": roles(
        "body_member",
        "agent",
        values=_id("aic_asked"),
        post_ok={422},
        note="the members who act for the body asked (agents manage every body)",
    ),
    "initiative_workshops.priority": roles(
        "body_member", "agent", values=_id("aic_working"), post_ok={302}
    ),
    "initiative_workshops.assign": roles("agent", values=_id("aic_working"), post_ok={422}),
    "initiative_workshops.acknowledge": roles(
        "agent", values=_id("aic_overdue"), post_ok={302}, note="already acknowledged: refused, 302"
    ),
    "initiative_workshops.open_support": roles(
        "agent",
        values=_id("aic_working"),
        post_ok={302},
        note="its support is already open: refused, 302",
    ),
    "initiative_workshops.decision": only(
        "elected",
        values=_id("aic_overdue"),
        note="an act of an elected official: not even an administrator",
    ),
    "initiative_workshops_api.list_initiatives": everyone(),
    "initiative_workshops_api.get_initiative": everyone(values=_id("aic_working")),
    "initiative_workshops_api.create_initiative": only(
        *VERIFIED, post_ok={422}, note="verified residents; an empty body is refused"
    ),
    "initiative_workshops_api.join": only(
        *VERIFIED,
        values=_id("aic_decided"),
        post_ok={409},
        note="decided: the collective no longer changes",
    ),
    "initiative_workshops_api.leave": logged_in(values=_id("aic_decided"), post_ok={409}),
    "initiative_workshops_api.submit": roles(
        "author",
        "agent",
        values=_id("aic_proposed_own"),
        post_ok={409},
        note="not constituted yet: 409; not a member: 403",
    ),
    "initiative_workshops_api.decide": only(
        "elected",
        values=_id("aic_overdue"),
        post_ok={422},
        note="an elected official; an empty body has no outcome",
    ),
}
