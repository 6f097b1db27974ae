"""Demonstration content for bodies, projects and relays (fictional, in French).

A metropolitan project relayed by two conseils de quartier and the conseil des jeunes, a
communal project that went through the four phases, and a project open to contributions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import select

from ..accounts.models import User
from ..answers.models import Answer
from ..bodies import draw as drawing
from ..bodies.models import Body, BodyMember, Draw
from ..comments.models import Comment
from ..contributions.models import Contribution
from ..db import utcnow
from ..extensions import db
from ..follows.models import Follow
from ..guarantor.models import Opinion
from ..images.demo import illustration
from ..images.services import store_image
from ..lots.models import Lot
from ..moderation.models import Decision, Report
from ..polls.models import Poll, PollChoice, PollOption, PollVoter
from ..sessions.models import Meeting, MeetingRegistration
from ..territory.models import Commune, Neighbourhood
from ..timeutil import local_today
from .models import Project, ProjectDocument, Relay, TimelineEntry


def _users() -> dict[str, User]:
    rows = db.session.scalars(select(User).where(User.email.like("%@ormeval.example"))).all()
    return {u.email.split("@")[0]: u for u in rows}


def _at(days: int, hour: int = 18, minute: int = 30) -> datetime:
    day = local_today() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute)


def load(app) -> None:
    users = _users()
    if "agent" not in users:
        return
    commune = db.session.scalar(select(Commune).order_by(Commune.id).limit(1))
    quarters = {n.slug: n for n in db.session.scalars(select(Neighbourhood))}
    agent, elu, claire, karim, lea, sofia, paul = (
        users[k] for k in ("agent", "elu", "claire", "karim", "lea", "sofia", "paul")
    )
    now = utcnow()
    today = local_today()

    # --- Local bodies --------------------------------------------------------------------
    def body(slug, name, type_, quarter_slugs, description, cadence, contact):
        item = Body(
            slug=slug,
            name=name,
            type=type_,
            commune_id=commune.id,
            description=description,
            meeting_cadence=cadence,
            contact_email=contact,
        )
        item.neighbourhoods = [quarters[s] for s in quarter_slugs if s in quarters]
        db.session.add(item)
        return item

    cq_bellevue = body(
        "cq-bellevue",
        "Conseil de quartier Bellevue",
        "Conseil de quartier",
        ["bellevue"],
        "Le conseil de quartier de Bellevue réunit des habitants "
        "tirés au sort, des volontaires et des représentants associatifs.",
        "Un mardi par mois, 18 h 30, maison de quartier",
        "cq.bellevue@ormeval.example",
    )
    cq_garenne = body(
        "cq-la-garenne",
        "Conseil de quartier La Garenne",
        "Conseil de quartier",
        ["la-garenne"],
        "Instance de proximité du quartier de La Garenne : cadre de vie, mobilités, animation.",
        "Tous les deux mois, salle Colette",
        "cq.garenne@ormeval.example",
    )
    jeunes = body(
        "conseil-des-jeunes",
        "Conseil des jeunes d'Ormeval",
        "Conseil des jeunes",
        [],
        "Trente jeunes de 13 à 20 ans élus dans les collèges et lycées.",
        "Un mercredi sur deux, 14 h, espace jeunesse",
        "jeunes@ormeval.example",
    )
    citoyen = body(
        "conseil-citoyen-tilleuls",
        "Conseil citoyen des Tilleuls",
        "Conseil citoyen",
        ["les-tilleuls"],
        "Conseil citoyen du quartier prioritaire des Tilleuls.",
        "Mensuel",
        "conseil.citoyen@ormeval.example",
    )
    body(
        "jardins-du-quai",
        "Association Les Jardins du Quai",
        "Association",
        ["quai-des-tanneurs"],
        "Jardins partagés et ateliers de compostage.",
        "",
        "",
    )
    db.session.flush()
    start, end = today - timedelta(days=200), today + timedelta(days=900)

    def member(item, name, role, user=None, draw=None):
        db.session.add(
            BodyMember(
                body_id=item.id,
                user_id=getattr(user, "id", None),
                name=name,
                role=role,
                mandate_start=start,
                mandate_end=end,
                draw_id=getattr(draw, "id", None),
            )
        )

    member(cq_garenne, "Sofia Costa", "president", sofia)
    member(cq_garenne, "Marc Lemoine", "secretary")
    member(cq_garenne, "Jean Morel", "referent_elected", elu)
    member(cq_garenne, "Nadia Benali", "referent_agent", agent)
    member(cq_bellevue, "Léa Martin", "president", lea)
    member(cq_bellevue, "Hugo Renard", "facilitator")
    member(jeunes, "Inès Bakari", "president")
    member(jeunes, "Tom Vasseur", "secretary")
    member(citoyen, "Fatou Diallo", "president")

    # A draw by lot for the Bellevue council, announced then drawn with a public seed.
    rows = [{"key": f"LE-{i:04d}", "category": "femme" if i % 2 else "homme"} for i in range(1, 61)]
    seed = "07-15-22-38-44 étoiles 03-11"
    draw = Draw(
        body_id=cq_bellevue.id,
        title="Renouvellement des habitants tirés au sort",
        algorithm=drawing.ALGORITHM,
        seats=6,
        quota_column="genre",
        quotas={"femme": 3, "homme": 3},
        rows=rows,
        names={r["key"]: f"Habitant·e {r['key']}" for r in rows},
        register_sha256=drawing.rows_digest(rows),
        seed_source="Les numéros et étoiles du tirage EuroMillions du vendredi suivant l'annonce",
        not_before=now - timedelta(days=25),
        announced_at=now - timedelta(days=30),
        announced_by_id=agent.id,
        seed=seed,
        drawn_at=now - timedelta(days=24),
        drawn_by_id=agent.id,
        selected=drawing.compute_draw(seed, 6, rows, {"femme": 3, "homme": 3}),
        mandate_start=start,
        mandate_end=end,
        appointed_at=now - timedelta(days=24),
    )
    db.session.add(draw)
    db.session.flush()
    for key in draw.selected:
        member(cq_bellevue, draw.names[key], "member", draw=draw)

    # --- The metropolitan project, relayed ----------------------------------------------
    contrat = dict(
        contrat_open="Le tracé dans Ormeval entre la gare et le lycée, l'emplacement des "
        "arrêts, les aménagements cyclables et piétons le long de la ligne.",
        contrat_closed="Le principe d'une ligne à haut niveau de service et son financement, "
        "votés par le conseil métropolitain.",
        contrat_decides="Le conseil de la Métropole du Val d'Orne, après avis de la commune.",
        contrat_use="Chaque contribution reçoit un statut puis un avis argumenté ; la synthèse "
        "des relais est annexée à la délibération.",
        contrat_calendar="Participation jusqu'à fin du mois prochain, avis argumenté publié "
        "avant l'été.",
        contrat_means="Deux agents de la Métropole, une maquette itinérante, 12 000 € d'études.",
    )
    bus = Project(
        slug="val-d-orne-express",
        title="Val d'Orne Express : bus à haut niveau de service entre la gare et le lycée",
        level="metropolitan",
        domain="mobility",
        commune_id=commune.id,
        owner_id=agent.id,
        phase="instruction",
        phase_changed_at=now - timedelta(days=6),
        summary="La Métropole du Val d'Orne prévoit une ligne de bus rapide reliant "
        "la gare d'Ormeval au lycée Marie-Curie en passant par Bellevue et "
        "La Garenne. Le tracé et les arrêts sont soumis à la concertation.",
        contrat_published_at=now - timedelta(days=60),
        **contrat,
        created_at=now - timedelta(days=70),
    )
    bus.neighbourhoods = [
        quarters[s] for s in ("bellevue", "la-garenne", "centre-historique") if s in quarters
    ]
    bus.cover_image = store_image(
        illustration("bus"),
        "Dessin d'un bus bleu à haut niveau de service dans une rue bordée d'immeubles.",
        user=agent,
    )
    db.session.add(bus)
    db.session.flush()
    db.session.add(
        ProjectDocument(
            project_id=bus.id,
            title="Dossier de concertation (PDF)",
            url="https://example.org/val-d-orne-express.pdf",
        )
    )
    for days, title in (
        (-70, "Projet annoncé"),
        (-60, "Contrat participatif publié"),
        (-58, "Phase 2 : stratégie participative"),
        (-6, "Phase 3 : instruction"),
    ):
        db.session.add(
            TimelineEntry(project_id=bus.id, day=today + timedelta(days=days), title=title)
        )

    def relay(item, status, deadline_days, reached=0, report="", reason=""):
        row = Relay(
            project_id=bus.id,
            body_id=item.id,
            status=status,
            message="Pouvez-vous présenter le projet aux habitants et nous faire "
            "remonter leurs attentes ?",
            report_deadline=today + timedelta(days=deadline_days),
            invited_at=now - timedelta(days=57),
            invited_by_id=agent.id,
            responded_at=now - timedelta(days=55),
            decline_reason=reason,
            residents_reached=reached,
            report=report,
            report_submitted_at=now - timedelta(days=8) if report else None,
        )
        db.session.add(row)
        db.session.flush()
        return row

    r_bellevue = relay(
        cq_bellevue,
        "accepted",
        -5,
        64,
        "Deux cafés-projets et une balade urbaine ont réuni 64 habitants. "
        "Attentes principales : un arrêt devant la maison de santé, des abris "
        "avec bancs, une piste cyclable séparée rue des Acacias. Inquiétude "
        "sur le stationnement des riverains pendant les travaux.",
    )
    r_garenne = relay(cq_garenne, "accepted", 20, 23)
    r_jeunes = relay(jeunes, "accepted", 20, 31)
    relay(
        citoyen,
        "declined",
        20,
        reason="Le conseil citoyen est mobilisé sur le contrat de "
        "ville jusqu'en juin ; il ne peut pas organiser de "
        "séance d'ici l'échéance.",
    )

    def session(item, rel, title, days, place, access, hour=18, minute=30, minutes="", **fields):
        meeting = Meeting(
            target_type="relay",
            target_id=rel.id,
            organiser_type="body",
            organiser_id=item.id,
            title=title,
            starts_at=_at(days, hour, minute),
            ends_at=_at(days, hour + 2, minute),
            place=place,
            accessibility=access,
            minutes=minutes,
            created_by_id=agent.id,
            attendance_count=None if days > 0 else 20,
            **fields,
        )
        meeting.neighbourhoods = list(item.neighbourhoods)
        db.session.add(meeting)
        return meeting

    access = "Salle de plain-pied, boucle magnétique, interprète LSF sur demande 48 h avant."
    cafe = session(
        cq_bellevue,
        r_bellevue,
        "Café-projet Val d'Orne Express",
        -40,
        "Maison de quartier Bellevue, 2 place des Lilas",
        access,
        registrations_open=True,
        capacity=40,
        minutes_objectives=(
            "Présenter le tracé de la ligne Val d'Orne Express dans le quartier et recueillir "
            "les attentes des habitants sur l'emplacement des arrêts."
        ),
        minutes_method=(
            "Présentation de 20 minutes par l'agent de la Métropole, puis trois tables de "
            "six à huit personnes autour de la carte du tracé ; chaque table a désigné un "
            "rapporteur. Restitution collective en fin de séance."
        ),
        minutes=(
            "**Arrêts.** Les trois tables demandent un arrêt devant la maison de santé : les "
            "patients âgés font aujourd'hui 400 mètres à pied.\n\n"
            "**Confort.** Des abris avec bancs à chaque arrêt, un éclairage renforcé rue des "
            "Acacias.\n\n"
            "**Travaux.** Inquiétude sur le stationnement des riverains pendant le chantier ; "
            "les habitants demandent un calendrier rue par rue."
        ),
        minutes_next_agenda=(
            "- Balade urbaine le long du tracé\n- Point sur les réponses de la Métropole\n"
            "- Préparation du rapport de relais"
        ),
        minutes_published_at=now - timedelta(days=38),
    )
    cafe.attendance_count = 23
    db.session.flush()
    for person, present in ((lea, True), (karim, True), (claire, False)):
        db.session.add(
            MeetingRegistration(
                meeting_id=cafe.id,
                user_id=person.id,
                attended=present,
                created_at=now - timedelta(days=45),
            )
        )
    session(
        cq_garenne,
        r_garenne,
        "Permanence au marché de la Garenne",
        2,
        "Place du marché, stand de la Métropole",
        "Stand en plein air, accès de plain-pied.",
        9,
        0,
        cancelled_at=now - timedelta(days=1),
        cancel_reason=(
            "Le marché est déplacé cette semaine pour la fête de quartier ; la permanence "
            "est reportée à la semaine suivante, même heure."
        ),
    )
    session(
        cq_bellevue,
        r_bellevue,
        "Balade urbaine le long du tracé",
        -30,
        "Départ devant la maison de santé",
        "Parcours de 1,5 km sans escalier.",
        10,
        0,
    )
    session(
        cq_garenne,
        r_garenne,
        "Atelier carte des arrêts",
        6,
        "Salle Colette, 14 rue des Peupliers",
        access,
        registrations_open=True,
        capacity=25,
    )
    session(
        cq_garenne,
        r_garenne,
        "Réunion de restitution du quartier",
        16,
        "Salle Colette, 14 rue des Peupliers",
        access,
    )
    session(
        jeunes,
        r_jeunes,
        "Débat mobile au lycée Marie-Curie",
        9,
        "Foyer du lycée Marie-Curie",
        "Foyer accessible par l'ascenseur du bâtiment B.",
        12,
        15,
    )

    def contribution(
        text,
        days,
        channel="online",
        author=None,
        author_name="",
        quarter=None,
        rel=None,
        entered_by=None,
        status="received",
    ):
        row = Contribution(
            target_type="project",
            target_id=bus.id,
            text=text,
            channel=channel,
            author_id=getattr(author, "id", None),
            author_name=author_name,
            neighbourhood_id=(
                quarters[quarter].id
                if quarter in quarters
                else getattr(author, "neighbourhood_id", None)
            ),
            source_type="relay" if rel else "",
            source_id=getattr(rel, "id", None),
            entered_by_id=getattr(entered_by, "id", None),
            created_at=now - timedelta(days=days),
            status=status,
        )
        db.session.add(row)
        return row

    c1 = contribution(
        "Un arrêt devant la maison de santé de Bellevue éviterait aux patients "
        "âgés 400 mètres de marche.",
        50,
        author=lea,
    )
    c2 = contribution(
        "Prévoir des abris avec des bancs : on attend souvent sous la pluie.", 48, author=claire
    )
    contribution(
        "Une piste cyclable séparée rue des Acacias, sinon les vélos iront sur le trottoir.",
        45,
        author=karim,
        status="under_study",
    )
    c4 = contribution(
        "Lors du café-projet, plusieurs riverains demandent des places de "
        "stationnement pendant les travaux.",
        40,
        channel="relay",
        author_name="Riverains de la rue des Lilas",
        quarter="bellevue",
        rel=r_bellevue,
        entered_by=lea,
    )
    contribution(
        "Les lycéens demandent un passage toutes les 8 minutes aux heures de cours.",
        20,
        channel="relay",
        author_name="Conseil des jeunes",
        rel=r_jeunes,
        entered_by=agent,
        status="under_study",
    )
    contribution(
        "Courrier reçu en mairie : demande d'un arrêt rue Colette pour l'EHPAD.",
        15,
        channel="offline",
        author_name="M. et Mme P.",
        quarter="la-garenne",
        entered_by=agent,
    )
    db.session.flush()
    _draw_among_contributions(bus, agent, now)
    answer = Answer(
        target_type="project",
        target_id=bus.id,
        outcome="retained",
        author_id=elu.id,
        created_at=now - timedelta(days=3),
        text="L'arrêt « Maison de santé » est ajouté au tracé : il dessert aussi "
        "la résidence seniors. Les abris de la ligne auront tous un banc et "
        "un éclairage. Ces demandes sont intégrées au dossier d'avant-projet.",
    )
    db.session.add(answer)
    db.session.flush()
    for row in (c1, c2):
        row.answer_id, row.status = answer.id, "retained"
        row.answered_at = row.status_changed_at = now - timedelta(days=3)
    answer2 = Answer(
        target_type="project",
        target_id=bus.id,
        outcome="partly_retained",
        author_id=elu.id,
        created_at=now - timedelta(days=2),
        text="Le stationnement sera maintenu côté pair pendant toute la durée des "
        "travaux ; en revanche, des places supplémentaires ne peuvent pas "
        "être créées sur l'emprise de la ligne.",
    )
    db.session.add(answer2)
    db.session.flush()
    c4.answer_id, c4.status = answer2.id, "partly_retained"
    c4.answered_at = c4.status_changed_at = now - timedelta(days=2)
    for user in (claire, lea, karim):
        db.session.add(Follow(target_type="project", target_id=bus.id, user_id=user.id))

    # --- A communal project that completed the four phases -------------------------------
    square = Project(
        slug="square-des-tanneurs",
        title="Réaménagement du square des Tanneurs",
        level="communal",
        domain="public_space",
        commune_id=commune.id,
        owner_id=agent.id,
        phase="avis",
        phase_changed_at=now - timedelta(days=40),
        summary="Le square des Tanneurs, au bord de l'Orne, a été repensé avec les "
        "habitants : jeux, ombre, accès à l'eau.",
        contrat_open="Le choix des jeux, la place des arbres, le mobilier.",
        contrat_closed="Le budget de 180 000 € et la fermeture nocturne.",
        contrat_decides="Le conseil municipal d'Ormeval.",
        contrat_use="Chaque proposition reçoit un avis argumenté avant la délibération.",
        contrat_calendar="Concertation de janvier à mars, décision en avril.",
        contrat_means="Une paysagiste de la ville, deux ateliers sur place.",
        contrat_published_at=now - timedelta(days=160),
        decision="Le conseil municipal a adopté le plan retenu avec les "
        "habitants : aire de jeux pour les 2-10 ans, six arbres plantés "
        "côté sud, fontaine à boire. Travaux à l'automne.",
        decision_published_at=now - timedelta(days=30),
        labelled_at=now - timedelta(days=30),
        created_at=now - timedelta(days=170),
    )
    square.neighbourhoods = [quarters[s] for s in ("quai-des-tanneurs",) if s in quarters]
    square.cover_image = store_image(
        illustration("park"),
        "Dessin du square réaménagé : trois grands arbres, une pelouse et un banc.",
        user=agent,
    )
    db.session.add(square)
    db.session.flush()
    for days, title in (
        (-170, "Projet annoncé"),
        (-160, "Contrat participatif publié"),
        (-155, "Phase 2 : stratégie participative"),
        (-90, "Phase 3 : instruction"),
        (-40, "Phase 4 : avis argumenté"),
        (-30, "Décision publiée"),
        (-30, "Label « Projet concerté » attribué"),
    ):
        db.session.add(
            TimelineEntry(project_id=square.id, day=today + timedelta(days=days), title=title)
        )
    square_answer = Answer(
        target_type="project",
        target_id=square.id,
        author_id=elu.id,
        created_at=now - timedelta(days=45),
        text="Les jeux d'eau demandés ne sont pas retenus pour des raisons "
        "d'entretien ; une fontaine à boire est installée à la place. "
        "L'ombre est assurée par six arbres plantés côté sud.",
    )
    db.session.add(square_answer)
    db.session.flush()
    for text, author, status, days in (
        ("Des jeux d'eau pour l'été.", sofia, "partly_retained", 120),
        ("Plus d'ombre autour des bancs.", claire, "retained", 118),
        ("Un terrain de pétanque.", None, "not_retained", 110),
    ):
        db.session.add(
            Contribution(
                target_type="project",
                target_id=square.id,
                text=text,
                author_id=getattr(author, "id", None),
                author_name="" if author else "Habitant rencontré à l'atelier",
                channel="online" if author else "offline",
                entered_by_id=None if author else agent.id,
                created_at=now - timedelta(days=days),
                neighbourhood_id=quarters["quai-des-tanneurs"].id,
                status=status,
                answer_id=square_answer.id,
                answered_at=now - timedelta(days=45),
                status_changed_at=now - timedelta(days=45),
            )
        )

    # --- A communal project open to contributions ----------------------------------------
    school = Project(
        slug="cour-ecole-jean-moulin",
        title="Une cour d'école plus verte à Jean-Moulin",
        level="communal",
        domain="environment",
        commune_id=commune.id,
        owner_id=agent.id,
        phase="strategie",
        summary="La cour de l'école Jean-Moulin sera désimperméabilisée cet été. "
        "Élèves, parents et riverains : donnez votre avis !",
        contrat_open="Les espaces de jeux, les plantations, les coins calmes.",
        contrat_closed="Le calendrier des travaux (juillet-août).",
        contrat_decides="Le maire, après avis du conseil d'école.",
        contrat_use="Les contributions alimentent le cahier des charges.",
        contrat_calendar="Contributions jusqu'au 30 du mois prochain.",
        contrat_published_at=now - timedelta(days=12),
        created_at=now - timedelta(days=15),
    )
    school.neighbourhoods = [quarters[s] for s in ("centre-historique",) if s in quarters]
    db.session.add(school)
    db.session.flush()
    db.session.add(
        Contribution(
            target_type="project",
            target_id=school.id,
            author_id=claire.id,
            text="Un coin lecture à l'ombre, avec des bancs en bois.",
            neighbourhood_id=claire.neighbourhood_id,
            created_at=now - timedelta(days=2),
        )
    )
    db.session.add(Follow(target_type="project", target_id=school.id, user_id=claire.id))
    first = Comment(
        target_type="project",
        target_id=school.id,
        author_id=karim.id,
        body="Et si les élèves votaient pour choisir les arbres ?",
        created_at=now - timedelta(days=3),
    )
    db.session.add(first)
    db.session.flush()
    db.session.add_all(
        [
            Comment(
                target_type="project",
                target_id=school.id,
                parent_id=first.id,
                author_id=claire.id,
                body="Bonne idée : le conseil des jeunes pourrait organiser le vote.",
                created_at=now - timedelta(days=2, hours=20),
            ),
            Comment(
                target_type="project",
                target_id=school.id,
                parent_id=first.id,
                author_id=agent.id,
                official=True,
                body="Le service des espaces verts proposera trois essences adaptées "
                "au sol de la cour ; les élèves choisiront parmi elles.",
                created_at=now - timedelta(days=2),
            ),
        ]
    )
    rude = Comment(
        target_type="project",
        target_id=school.id,
        author_id=lea.id,
        body="Encore un projet inutile décidé par des incapables.",
        created_at=now - timedelta(days=1, hours=6),
    )
    db.session.add(rude)
    db.session.flush()
    moderator = users.get("moderation")
    db.session.add_all(
        [
            Report(
                target_type="comment",
                target_id=rude.id,
                reporter_id=karim.id,
                reason="insult",
                created_at=now - timedelta(days=1, hours=5),
                resolved_at=now - timedelta(days=1),
                outcome="hidden",
            ),
            Decision(
                target_type="comment",
                target_id=rude.id,
                reason="Propos injurieux envers des personnes (charte de modération, règle 1).",
                moderator_id=getattr(moderator, "id", None),
                author_id=lea.id,
                decided_at=now - timedelta(days=1),
                appeal_text="Je critiquais le projet, pas des personnes.",
                appealed_at=now - timedelta(hours=20),
            ),
        ]
    )
    # Pre-moderation and reports as a moderator finds them: a comment held until a moderator
    # reads it (written while comments were pre-moderated), and one reported, not decided yet.
    held = Comment(
        target_type="project",
        target_id=school.id,
        author_id=sofia.id,
        body="Pensez aux enfants en fauteuil : un accès de plain-pied au potager.",
        created_at=now - timedelta(hours=3),
    )
    reported = Comment(
        target_type="project",
        target_id=school.id,
        author_id=paul.id,
        body="Venez tous acheter vos plants à ma jardinerie, -20 % ce week-end !",
        created_at=now - timedelta(hours=9),
    )
    db.session.add_all([held, reported])
    db.session.flush()
    db.session.add_all(
        [
            Decision(
                target_type="comment",
                target_id=held.id,
                hidden=True,
                pending=True,
                reason="",
                author_id=sofia.id,
                decided_at=now - timedelta(hours=3),
            ),
            Report(
                target_type="comment",
                target_id=reported.id,
                reporter_id=claire.id,
                reason="spam",
                details="Publicité pour un commerce.",
                created_at=now - timedelta(hours=8),
            ),
            Report(
                target_type="comment",
                target_id=reported.id,
                reporter_id=karim.id,
                reason="spam",
                created_at=now - timedelta(hours=6),
            ),
        ]
    )
    garant = users.get("garant")
    if garant is not None:
        db.session.add(
            Opinion(
                target_type="project",
                target_id=school.id,
                author_id=garant.id,
                text="La concertation touche surtout les parents d'élèves. Je recommande "
                "d'associer aussi les riverains de la rue Jean-Moulin, que les travaux "
                "concernent directement.",
                created_at=now - timedelta(days=4),
                answer="Une réunion publique pour les riverains est ajoutée au calendrier.",
                answered_at=now - timedelta(days=2),
                answered_by_id=agent.id,
            )
        )
    open_poll = Poll(
        question="Quel coin voulez-vous en priorité dans la nouvelle cour ?",
        kind="single",
        audience="verified",
        target_type="project",
        target_id=school.id,
        created_by_id=agent.id,
        created_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        options=[
            PollOption(label="Un coin lecture ombragé", position=0),
            PollOption(label="Un potager pédagogique", position=1),
            PollOption(label="Un terrain de jeux de ballon", position=2),
        ],
    )
    first_quarter = next(iter(sorted(quarters.values(), key=lambda q: q.id)), None)
    closed_poll = Poll(
        question="Quels jours pour le marché de producteurs ?",
        kind="multiple",
        audience="everyone",
        target_type="neighbourhood" if first_quarter else "",
        target_id=first_quarter.id if first_quarter else None,
        created_by_id=agent.id,
        created_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=16),
        options=[
            PollOption(label="Mercredi", position=0),
            PollOption(label="Samedi", position=1),
            PollOption(label="Dimanche", position=2),
        ],
    )
    db.session.add_all([open_poll, closed_poll])
    db.session.flush()
    wednesday, saturday, sunday = closed_poll.options
    for voter, chosen in (
        (claire, [saturday]),
        (karim, [wednesday, saturday]),
        (lea, [saturday, sunday]),
        (sofia, [sunday]),
    ):
        db.session.add(PollVoter(poll_id=closed_poll.id, user_id=voter.id))
        ballot = str(uuid4())
        for option in chosen:
            db.session.add(PollChoice(poll_id=closed_poll.id, ballot=ballot, option_id=option.id))


def _draw_among_contributions(project: Project, agent: User, now: datetime) -> None:
    """Three of the project's contributions drawn for a workshop's agenda, with the public
    seed announced beforehand: anyone can recompute the result from the lot's page."""
    rows = [
        {"key": c.uuid, "category": ""}
        for c in db.session.scalars(
            select(Contribution)
            .where(Contribution.target_type == "project", Contribution.target_id == project.id)
            .order_by(Contribution.id)
        )
    ]
    seed = drawing.canonical_seed("7 19 23 31 44", 5)
    db.session.add(
        Lot(
            target_type="project",
            target_id=project.id,
            title="Trois contributions à l'ordre du jour de l'atelier du 12",
            seats=3,
            rows=rows,
            register_sha256=drawing.rows_digest(rows),
            seed_source="Les cinq numéros principaux du tirage EuroMillions qui suit l'annonce.",
            seed_count=5,
            not_before=now - timedelta(days=12),
            announced_by_id=agent.id,
            announced_at=now - timedelta(days=14),
            seed=seed,
            seed_as_entered="7 - 19 - 23 - 31 - 44",
            selected=drawing.compute_draw(seed, 3, rows, {}),
            drawn_at=now - timedelta(days=11),
            drawn_by_id=agent.id,
        )
    )


def load_metropole(app) -> None:
    """The Métropole du Val d'Orne's own projects (``hub demo --metropole``): a tram line open
    to participation, a climate plan with its contract in preparation, a cycling plan under
    review. Each is of metropolitan level: paired commune hubs show them."""
    agent = db.session.scalar(select(User).where(User.email == "agent@valdorne.example"))
    if agent is None:
        return
    communes = {c.name: c for c in db.session.scalars(select(Commune))}
    now = utcnow()
    today = local_today()
    contrat = dict(
        contrat_open="Le tracé entre la gare d'Ormeval et Belcourt, l'emplacement des stations, "
        "les parkings relais et les aménagements cyclables le long de la ligne.",
        contrat_closed="Le mode (tramway) et l'enveloppe de 180 M€, votés par le conseil "
        "métropolitain.",
        contrat_decides="Le conseil de la Métropole du Val d'Orne, après avis des communes "
        "traversées.",
        contrat_use="Chaque contribution reçoit un statut puis un avis argumenté ; les comptes "
        "rendus des instances relais des communes sont annexés à la délibération.",
        contrat_calendar="Participation pendant deux mois, avis argumenté publié à l'automne.",
        contrat_means="Une mission participation de trois agents, une exposition itinérante, "
        "des réunions dans chaque commune traversée.",
    )
    projects = [
        Project(
            slug="tram-t3-belcourt",
            title="Ligne de tram T3 : prolongement d'Ormeval à Belcourt",
            level="metropolitan",
            domain="mobility",
            commune_id=communes["Ormeval"].id if "Ormeval" in communes else None,
            owner_id=agent.id,
            phase="strategie",
            phase_changed_at=now - timedelta(days=12),
            summary="La Métropole prolonge la ligne T3 sur 6 km, de la gare d'Ormeval au centre "
            "de Belcourt. Le tracé et les stations sont soumis à la concertation ; les "
            "instances des communes traversées sont invitées à la relayer.",
            contrat_published_at=now - timedelta(days=14),
            created_at=now - timedelta(days=30),
            **contrat,
        ),
        Project(
            slug="plan-climat-val-d-orne",
            title="Plan climat-air-énergie métropolitain 2027-2033",
            level="metropolitan",
            domain="environment",
            owner_id=agent.id,
            phase="contrat",
            summary="Le plan climat fixe les objectifs de la Métropole pour réduire les "
            "émissions, améliorer la qualité de l'air et s'adapter aux canicules. Le contrat "
            "participatif est en préparation.",
            contrat_open="Les actions du plan et leur ordre de priorité.",
            created_at=now - timedelta(days=5),
        ),
        Project(
            slug="schema-cyclable-val-d-orne",
            title="Schéma directeur cyclable du Val d'Orne",
            level="metropolitan",
            domain="mobility",
            owner_id=agent.id,
            phase="instruction",
            phase_changed_at=now - timedelta(days=3),
            summary="Le réseau cyclable de la Métropole à l'horizon 2032 : 140 km d'itinéraires "
            "continus entre les communes. Les contributions sont à l'étude.",
            contrat_published_at=now - timedelta(days=80),
            created_at=now - timedelta(days=90),
            **{
                **contrat,
                "contrat_open": "Les itinéraires, leur ordre de réalisation et les "
                "stationnements vélo près des gares.",
            },
        ),
    ]
    db.session.add_all(projects)
    db.session.flush()
    tram = projects[0]
    db.session.add(
        ProjectDocument(
            project_id=tram.id,
            title="Dossier de concertation du prolongement (PDF)",
            url="https://example.org/tram-t3-belcourt.pdf",
        )
    )
    for days, title in (
        (-30, "Projet annoncé"),
        (-14, "Contrat participatif publié"),
        (-12, "Phase 2 : stratégie participative"),
        (45, "Fin de la participation"),
    ):
        db.session.add(
            TimelineEntry(project_id=tram.id, day=today + timedelta(days=days), title=title)
        )
