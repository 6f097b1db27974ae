"""Who may use each route of the participatory budget (collected by tests/authz_rules.py).

The demo has a campaign in each phase (hub demo): submission, vote, implementation (with
results) and one in preparation. Staff who manage budgets are agents (and admins); residents
who propose and vote are verified residents of age: karim (verified), claire (author) and
sofia (body_member). The demo's staff accounts are not verified residents.
"""

from __future__ import annotations

from authz_rules import PERSONAS, everyone, logged_in, only, roles, world_setup

ELIGIBLE = ("verified", "author", "body_member")


@world_setup
def budget_world(w) -> None:
    from sqlalchemy import select

    from hub.accounts.models import User
    from hub.extensions import db
    from plugins.participatory_budget.models import (
        BudgetProject,
        Campaign,
        District,
        KioskSession,
        Milestone,
        PaperSheet,
    )

    def campaign(phase):
        return db.session.scalar(select(Campaign.id).where(Campaign.phase == phase))

    w.pb_submission = campaign("submission")
    w.pb_vote = campaign("vote")
    w.pb_results = campaign("implementation")
    w.pb_draft = campaign("draft")
    assert None not in (w.pb_submission, w.pb_vote, w.pb_results, w.pb_draft)

    def city_wide(campaign_id):
        return db.session.scalar(
            select(District.id).where(
                District.campaign_id == campaign_id, District.neighbourhood_id.is_(None)
            )
        )

    w.pb_submission_district = city_wide(w.pb_submission)
    w.pb_vote_district = city_wide(w.pb_vote)
    w.pb_results_district = city_wide(w.pb_results)
    w.pb_sheet = db.session.scalar(
        select(PaperSheet.id).where(
            PaperSheet.campaign_id == w.pb_vote, PaperSheet.status == "discrepancy"
        )
    )
    assert w.pb_sheet is not None
    kiosk = KioskSession(
        campaign_id=w.pb_vote, place="Mairie (test)", token_hash="0" * 64, opened_by_id=None
    )
    db.session.add(kiosk)
    db.session.commit()
    w.pb_kiosk = kiosk.id
    w.pb_funded = db.session.scalar(
        select(BudgetProject.id)
        .where(BudgetProject.campaign_id == w.pb_results, BudgetProject.status == "selected")
        .order_by(BudgetProject.id)
    )
    w.pb_milestone = db.session.scalar(
        select(Milestone.id).where(Milestone.project_id == w.pb_funded).order_by(Milestone.id)
    )
    assert w.pb_milestone is not None
    w.pb_project = db.session.scalar(
        select(BudgetProject.id)
        .where(BudgetProject.campaign_id == w.pb_submission)
        .order_by(BudgetProject.id)
    )
    w.pb_own_project = db.session.scalar(
        select(BudgetProject.id)
        .join(User, User.id == BudgetProject.author_id)
        .where(
            BudgetProject.campaign_id == w.pb_submission,
            BudgetProject.status == "submitted",
            User.email == PERSONAS["author"],
        )
        .order_by(BudgetProject.id)
    )
    assert w.pb_own_project is not None, "the demo's author proposed a project"


def _submission(w):
    return {"campaign_id": w.pb_submission}


def _vote(w):
    return {"campaign_id": w.pb_vote}


def _ballot(w):
    return {"campaign_id": w.pb_vote, "district_id": w.pb_vote_district}


RULES = {
    "participatory_budget.index": everyone(),
    "participatory_budget.campaign": [
        everyone(values=_vote),
        roles(
            "agent",
            values=lambda w: {"campaign_id": w.pb_draft},
            deny={404},
            expect={"anonymous": {404}},
            note="a campaign in preparation: staff who manage budgets only",
        ),
    ],
    "participatory_budget.projects": everyone(values=_submission),
    "participatory_budget.project": everyone(values=lambda w: {"project_id": w.pb_project}),
    "participatory_budget.project_image": [
        roles(
            "author",
            "agent",
            values=lambda w: {"project_id": w.pb_own_project},
            note="its author while it is under review, the staff who review projects; "
            "an empty form changes nothing (no picture chosen): 422",
        ),
        roles(
            "agent",
            values=lambda w: {"project_id": w.pb_funded},
            note="a funded project: its author may no longer change what was voted for",
        ),
    ],
    "participatory_budget.results": everyone(values=lambda w: {"campaign_id": w.pb_results}),
    "participatory_budget.export": everyone(
        values=lambda w: {"campaign_id": w.pb_results, "district": w.pb_results_district}
    ),
    "participatory_budget.new": roles("agent"),
    "participatory_budget.edit": roles("agent", values=_submission),
    "participatory_budget.manage": roles("agent", values=_submission),
    "participatory_budget.phases": roles("agent", values=_submission),
    "participatory_budget.change_phase": roles(
        "agent", values=_submission, note="an empty form moves nothing: back to the page"
    ),
    "participatory_budget.add_district": roles("agent", values=_submission),
    "participatory_budget.delete_district": roles(
        "agent",
        values=lambda w: {
            "campaign_id": w.pb_submission,
            "district_id": w.pb_submission_district,
        },
        note="refused once the campaign is open: back to the page",
    ),
    "participatory_budget.codes": roles("agent", values=_vote),
    "participatory_budget.paper": roles(
        "agent", values=_ballot, note="an empty POST lacks the ballot's number: 422"
    ),
    "participatory_budget.paper_report": roles("agent", values=_vote),
    "participatory_budget.kiosks": roles(
        "agent", values=_vote, note="an empty POST names no place: 422 (nothing opens)"
    ),
    "participatory_budget.close_kiosk": roles(
        "agent",
        values=lambda w: {"campaign_id": w.pb_vote, "kiosk_id": w.pb_kiosk},
        note="closes the world's kiosk; back to the kiosks page",
    ),
    **{
        f"participatory_budget.{name}": everyone(
            values=values,
            ok={403},
            post_ok={403},
            note="only on a terminal an agent opened as a kiosk: elsewhere an explained 403",
        )
        for name, values in (
            ("kiosk", {}),
            ("kiosk_districts", {}),
            ("kiosk_ballot", lambda w: {"district_id": w.pb_vote_district}),
            ("kiosk_confirm", lambda w: {"district_id": w.pb_vote_district}),
            ("kiosk_receipt", {}),
            ("kiosk_reset", {}),
        )
    },
    "participatory_budget.overrides": roles(
        "agent",
        values=lambda w: {"campaign_id": w.pb_results},
        note="an empty POST lacks the change and its reason: 422",
    ),
    "participatory_budget.milestones": roles(
        "agent", values=lambda w: {"project_id": w.pb_funded}, note="an empty POST: 422"
    ),
    "participatory_budget.milestone": roles(
        "agent",
        values=lambda w: {"project_id": w.pb_funded, "milestone_id": w.pb_milestone},
        note="an empty POST fails validation (422); removing needs action=remove",
    ),
    "participatory_budget.paper_resolve": roles(
        "agent",
        values=lambda w: {"campaign_id": w.pb_vote, "sheet_id": w.pb_sheet},
        note="an empty POST lacks the decision and the note: 422",
    ),
    "participatory_budget.review": roles("agent", values=lambda w: {"project_id": w.pb_project}),
    "participatory_budget.merge": roles("agent", values=lambda w: {"project_id": w.pb_project}),
    "participatory_budget.propose": only(
        *ELIGIBLE, values=_submission, note="verified residents of age (staff accounts are not)"
    ),
    **{
        f"participatory_budget.{name}": only(
            *ELIGIBLE,
            values=lambda w: {"project_id": w.pb_project},
            post_ok={302},
            note="an empty POST names no action: nothing changes, back to the project",
        )
        for name in ("support", "cosign")
    },
    "participatory_budget.vote_start": only(*ELIGIBLE, values=_vote),
    "participatory_budget.ballot": only(
        *ELIGIBLE, values=_ballot, note="an empty POST saves an empty draft in the session"
    ),
    "participatory_budget.confirm": only(
        *ELIGIBLE, values=_ballot, post_probe=False, note="an empty POST casts a blank ballot"
    ),
    "participatory_budget.receipt": logged_in(
        values=_ballot, ok={302}, note="shown once after a vote; otherwise back to the campaign"
    ),
    "participatory_budget_api.list_budgets": everyone(),
    "participatory_budget_api.get_budget": everyone(values=_vote),
    "participatory_budget_api.post_ballot": logged_in(
        values=_vote,
        post_ok={422},
        note="a token or a voting code; an empty ballot names no district: 422",
    ),
}
