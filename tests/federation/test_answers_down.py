"""The métropole's phase changes and decision, and its answer to a relay's report, come back
down to the commune's hub: the residents who contributed through the relay see their
contributions' status and the reasoned answer, and the copy's followers are notified, all
through the commune hub's own notifications."""

from factories import make_body, make_project
from sqlalchemy import select

from hub.audit import SYSTEM
from hub.extensions import db
from hub.projects import services
from hub.projects.models import Project

from .conftest import accept_gather_and_report, invite_the_remote_body, pair, sync


def _notifications(hub, user_id):
    from hub.notifications.models import Notification

    with hub.app.app_context():
        return [
            n.title
            for n in db.session.scalars(
                select(Notification)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id)
            )
        ]


def test_phases_and_answers_reach_the_communes_residents(in_process_hubs):
    from hub.accounts.services import create_user
    from hub.contributions.models import Contribution
    from hub.follows import services as follows
    from plugins.federation import relays
    from plugins.federation.models import RemoteRelay

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    with commune.app.app_context():
        president = create_user(
            "pres@ormeval.example", "correct horse battery", "Présidente", confirmed=True
        )
        resident = create_user(
            "lea@ormeval.example", "correct horse battery", "Léa", confirmed=True
        )
        follower = create_user(
            "tom@ormeval.example", "correct horse battery", "Tom", confirmed=True
        )
        db.session.commit()
        president_id, resident_id, follower_id = president.id, resident.id, follower.id
    make_body(commune.app, members=[(president_id, "president")])
    pair(metropole, commune)
    tram = make_project(metropole.app, title="Ligne de tram T9", phase="contrat", published=True)
    sync(metropole, commune, metropole)
    with commune.ctx():
        copy = db.session.scalar(select(Project).where(Project.origin_hub == metropole.url))
        follows.set_following(db.session.get(type(follower), follower_id), copy, True)
        db.session.commit()
        copy_id = copy.id

    # A phase change on the métropole: the copy's followers hear of it on the commune hub.
    with metropole.ctx():
        services.advance_phase(db.session.get(Project, tram), SYSTEM)
        db.session.commit()
    sync(metropole, commune)
    assert "«\u202fLigne de tram T9\u202f» passe à la phase 2\u202f: Stratégie participative" in (
        _notifications(commune, follower_id)
    )

    # The métropole invites the body; it accepts, gathers a resident's contribution, reports.
    invite_the_remote_body(metropole, tram)
    sync(metropole)
    accept_gather_and_report(
        commune,
        president_id,
        resident_id,
        "Une station au marché, s'il vous plaît.",
        "Deux réunions publiques au marché.",
    )
    sync(commune)

    # The métropole answers the report through its page: first "under study"…
    with metropole.ctx():
        relay = db.session.scalar(select(RemoteRelay))
        relays.answer_report(relay, "under_study", "", SYSTEM)
        db.session.commit()
    sync(metropole)
    with commune.app.app_context():
        [contribution] = db.session.scalars(select(Contribution)).all()
        assert contribution.status == "under_study"
    assert any("est à l'étude par" in t for t in _notifications(commune, resident_id))

    # …then its reasoned answer: the contribution is partly retained, with the answer.
    answer = "La station du marché est retenue ; le parking relais est à l'étude."
    with metropole.ctx():
        relay = db.session.scalar(select(RemoteRelay))
        relays.answer_report(relay, "partly_retained", answer, SYSTEM)
        db.session.commit()
    sync(metropole)
    sync(metropole)  # delivered once: the same answer again changes nothing
    with commune.app.app_context():
        [contribution] = db.session.scalars(select(Contribution)).all()
        assert contribution.status == "partly_retained" and contribution.answer_id is not None
    told = _notifications(commune, resident_id)
    assert (
        told.count(
            "Métropole d'Ormeval a répondu à votre contribution à «\u202fLigne de tram T9\u202f»"
        )
        == 1
    )
    assert any("a répondu au compte rendu" in t for t in _notifications(commune, follower_id))
    page = commune.client.get(f"/projects/{copy_id}").get_data(as_text=True)
    assert "La station du marché est retenue" in page and "Partiellement retenue" in page

    # The métropole's page shows its answer beside the report; a short answer is refused.
    page = metropole.client.get(f"/projects/{tram}").get_data(as_text=True)
    assert "La station du marché est retenue" in page
    with metropole.ctx():
        relay = db.session.scalar(select(RemoteRelay))
        try:
            relays.answer_report(relay, "retained", "Oui.", SYSTEM)
        except Exception as exc:  # RuleError on the text field
            assert getattr(exc, "field", None) == "text"
        else:
            raise AssertionError("a final status without reasons was accepted")
