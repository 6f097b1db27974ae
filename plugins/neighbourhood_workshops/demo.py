"""Demonstration content (fictional, in French): the conseil de quartier La Garenne runs an
atelier de quartier with a past session (approved and published minutes, two proposals
answered in a project), a full session to come with a waiting list and a hybrid one; an
atelier ville and an atelier de projet."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from hub.plugin import (
    Body,
    Neighbourhood,
    Project,
    User,
    contributions,
    db,
    local_today,
    offline_request_context,
    sessions,
)

from . import services


def _at(days: int, hour: int = 18, minute: int = 30) -> datetime:
    day = local_today() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute)


def load(app) -> None:
    users = {
        u.email.split("@")[0]: u
        for u in db.session.scalars(select(User).where(User.email.like("%@ormeval.example")))
    }
    bodies = {b.slug: b for b in db.session.scalars(select(Body))}
    projects = {p.slug: p for p in db.session.scalars(select(Project))}
    quarters = {n.slug: n for n in db.session.scalars(select(Neighbourhood))}
    if "agent" not in users or "cq-la-garenne" not in bodies:
        return
    with offline_request_context(app):
        # The request context has a database session of its own: commit there.
        _load(*(_reload(users, bodies, projects, quarters)))
        db.session.commit()


def _reload(*maps):
    """The same objects, loaded in the current session."""
    return [
        {key: db.session.merge(obj, load=False) for key, obj in mapping.items()} for mapping in maps
    ]


def _load(users, bodies, projects, quarters) -> None:
    agent, sofia = users["agent"], users["sofia"]
    garenne = bodies["cq-la-garenne"]
    school = projects.get("cour-ecole-jean-moulin")
    lavandieres = services.open_workshop(
        sofia,
        kind="neighbourhood",
        title="Une rue des Lavandières apaisée",
        host_body=garenne,
        project=school,
        neighbourhoods=[q for s, q in quarters.items() if s == "la-garenne"],
        facilitators=[sofia],
        topic="Cadre de vie et mobilités",
        summary="Ralentir la circulation devant l'école et rendre la rue aux piétons : "
        "trois séances pour construire des propositions avec les habitants.",
        description="Le conseil de quartier La Garenne ouvre un **atelier de quartier** sur la "
        "rue des Lavandières, qui longe l'école Jean-Moulin.\n\nChaque séance "
        "donne lieu à un compte-rendu soumis aux participants avant publication.",
        charter="- On s'écoute, on ne se coupe pas la parole.\n- Chaque avis compte, "
        "qu'il soit donné en séance, sur papier ou en ligne.\n- L'atelier propose ; "
        "la commune décide et répond à chaque proposition.",
        how_to_join="Ouvert à toutes et tous, membres du conseil de quartier ou non. "
        "Inscription en ligne, par téléphone au 01 23 45 67 89 ou à l'accueil "
        "de la maison de quartier.",
    )
    past = services.plan_session(
        lavandieres,
        sofia,
        title="Diagnostic en marchant",
        starts_at=_at(-21, 10, 0),
        ends_at=_at(-21, 12, 0),
        place="Départ devant l'école Jean-Moulin",
        mode="in_person",
        access_features=["step_free", "easy_read"],
        registrations_open=False,
    )
    for name in ("Mme Roux", "M. Benhamou", "Famille Lopez"):
        sessions.add_walk_in(past, name, sofia)
    sessions.set_headcount(past, 11, sofia)
    sessions.save_draft(
        past,
        sofia,
        {
            "objectives": "Observer la rue aux heures d'entrée et de sortie de l'école ; "
            "recueillir les usages et les difficultés.",
            "method": "Marche en trois groupes, chacun avec une carte ; mise en commun de 30 "
            "minutes à la maison de quartier.",
            "synthesis": "Les participants constatent des vitesses élevées aux heures de pointe, "
            "des trottoirs trop étroits pour les poussettes et un manque de "
            "stationnement vélo devant l'école. Les riverains demandent que la "
            "livraison du marché reste possible le samedi matin.",
            "questions": "- Faut-il fermer la rue aux voitures pendant les entrées et sorties "
            "d'école ?\n- Où reporter le stationnement des parents ?",
            "proposals": "- Installer une zone de rencontre limitée à 20 km/h devant l'école\n"
            "- Élargir le trottoir côté pair en supprimant quatre places de "
            "stationnement\n- Poser douze arceaux vélos devant l'entrée de l'école",
            "next_agenda": "Restitution du diagnostic et choix de deux scénarios d'aménagement.",
        },
    )
    sessions.approve_minutes(past, sofia)
    sessions.publish_minutes(past, sofia)
    if school is not None:
        first = services.send_proposal(lavandieres, past, 1, sofia)
        second = services.send_proposal(lavandieres, past, 3, sofia)
        contributions.answer(
            school,
            [first.contribution],
            "La zone de rencontre est retenue : elle sera "
            "expérimentée dès la rentrée, avec un bilan au conseil de quartier.",
            "retained",
            agent,
            notification_title="Réponse à votre proposition",
            link=f"/projects/{school.id}",
        )
        contributions.answer(
            school,
            [second.contribution],
            "Huit arceaux seront posés devant l'école ; les "
            "quatre autres près du gymnase, faute de place sur le trottoir.",
            "partly_retained",
            agent,
            notification_title="Réponse à votre proposition",
            link=f"/projects/{school.id}",
        )
    full = services.plan_session(
        lavandieres,
        sofia,
        title="Deux scénarios pour la rue",
        starts_at=_at(12),
        ends_at=_at(12, 20, 30),
        place="Maison de quartier de La Garenne, salle 2",
        mode="in_person",
        access_features=["step_free", "hearing_loop", "childcare"],
        registrations_open=True,
        capacity=4,
        reserved_seats=1,
        description="Restitution du diagnostic en marchant et travail en petits groupes sur "
        "deux scénarios.",
    )
    for user in (users["claire"], users["karim"]):
        sessions.join(full, user)
    sessions.register_on_behalf(
        full, agent, name="Mme Fernandes", contact="06 11 22 33 44", channel="phone"
    )
    sessions.register_on_behalf(full, sofia, name="M. Okafor", channel="paper")
    sessions.join(full, users["lea"])
    sessions.register_on_behalf(
        full, agent, name="Mme Petit", contact="06 55 44 33 22", channel="phone"
    )
    services.plan_session(
        lavandieres,
        sofia,
        title="Atelier hybride : choisir le scénario",
        starts_at=_at(26),
        ends_at=_at(26, 20, 30),
        place="École Jean-Moulin, réfectoire",
        mode="hybrid",
        online_url="https://visio.ormeval.example/lavandieres",
        access_features=["step_free", "sign_language", "easy_read"],
        accessibility="Interprète LSF sur place et à l'écran.",
        registrations_open=True,
        capacity=30,
    )
    city = services.open_workshop(
        agent,
        kind="city",
        title="Ateliers ville : le plan climat d'Ormeval",
        host_body=bodies.get("conseil-de-developpement"),
        project=None,
        topic="Transition écologique",
        summary="Trois soirées pour toute la commune sur l'adaptation aux vagues de chaleur.",
        how_to_join="Ouvert à toutes et tous, sans inscription préalable au conseil.",
        facilitators=[],
    )
    services.plan_session(
        city,
        agent,
        title="Îlots de fraîcheur : où et comment ?",
        starts_at=_at(19),
        ends_at=_at(19, 21, 0),
        place="Hôtel de ville, salle du conseil",
        mode="in_person",
        access_features=["step_free"],
        registrations_open=True,
        capacity=80,
    )
    bus = projects.get("val-d-orne-express")
    if bus is not None:
        project_workshop = services.open_workshop(
            agent,
            kind="project",
            title="Atelier de projet : les arrêts du Val d'Orne Express",
            host_body=bodies.get("cq-bellevue"),
            project=bus,
            neighbourhoods=[q for s, q in quarters.items() if s == "bellevue"],
            facilitators=[users["lea"]],
            topic="Mobilités",
            budget_line="Opération 2027-MOB-04 « Aménagement des arrêts »",
            budget_amount=450000,
            summary="Dessiner avec les riverains l'emplacement et l'équipement des arrêts.",
        )
        services.plan_session(
            project_workshop,
            agent,
            title="Les arrêts de Bellevue",
            starts_at=_at(33),
            ends_at=_at(33, 20, 30),
            place="Maison de quartier Bellevue",
            mode="in_person",
            access_features=["step_free"],
            registrations_open=True,
            capacity=25,
        )
