"""Demo citizen initiatives for Ormeval: one in every state, a decision overdue, one retained
whose project is in phase 1, one not retained with its reason.

Everything goes through :mod:`.services` and the core services (signatures online and on
paper, sessions and their minutes, answers, projects); dates are then moved back so that the
pages show a believable history. Collectives are completed by fictional verified residents
who have no password (they cannot log in).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from hub.plugin import (
    Body,
    Neighbourhood,
    create_user,
    db,
    find_user_by_email,
    local_now,
    offline_request_context,
    sessions,
    signatures,
    utcnow,
    write_transaction,
)

from . import rules, services
from .models import Initiative

SETTINGS = {
    "initiative_workshops_members_neighbourhood": 4,
    "initiative_workshops_members_commune": 8,
    "initiative_workshops_support_threshold": "1 %",
    "initiative_workshops_decision_months": 3,
}

NAMES = [
    "Odette Marchal",
    "Bilal Haddouche",
    "Gisèle Ferrand",
    "Loïc Tanguy",
    "Mariam Sow",
    "Rémi Collet",
    "Annie Brunet",
    "Samir Belkacem",
    "Chloé Vidal",
    "Jacques Pelletier",
    "Nora Aït-Ali",
    "Damien Roche",
    "Yvette Lambert",
    "Ousmane Keita",
]

INITIATIVES = [
    {
        "key": "proposed",
        "author": "karim",
        "where": ["les-tilleuls"],
        "members": 2,
        "title": "Une boîte à livres au square des Tilleuls",
        "summary": "Installer une boîte à livres en bois, à l'abri de la pluie, près de l'aire de "
        "jeux du square des Tilleuls, entretenue par les habitants volontaires.",
        "reasons": "La médiathèque est à vingt minutes à pied ; beaucoup de familles du "
        "quartier n'y vont pas. Une boîte à livres fait circuler les livres et "
        "crée des occasions de se parler.",
        "days": 9,
    },
    {
        "key": "proposed_own",
        "author": "claire",
        "where": ["centre-historique"],
        "members": 2,
        "title": "Des toilettes publiques accessibles place du Marché",
        "summary": "Ouvrir des toilettes publiques gratuites et accessibles en fauteuil place du "
        "Marché, ouvertes de 7 h à 21 h.",
        "reasons": "Les personnes âgées et les parents avec de jeunes enfants renoncent à venir "
        "au marché faute de toilettes.",
        "days": 4,
    },
    {
        "key": "asked",
        "author": "karim",
        "where": ["la-garenne"],
        "members": 4,
        "title": "Un composteur collectif rue des Acacias",
        "summary": "Installer trois bacs de compostage partagés au pied des immeubles de la rue "
        "des Acacias, avec une formation des référents par la Métropole.",
        "reasons": "Les biodéchets représentent un tiers de nos poubelles ; aucun point de "
        "collecte n'existe à La Garenne.",
        "days": 15,
        "online": ["claire", "lea"],
    },
    {
        "key": "working",
        "author": "claire",
        "where": ["la-garenne"],
        "members": 6,
        "title": "Un jardin partagé sur la friche des Lilas",
        "summary": "Transformer la friche de la rue des Lilas en jardin partagé : des parcelles "
        "pour les habitants, des bacs surélevés accessibles en fauteuil, un coin "
        "pour l'école maternelle.",
        "reasons": "La friche est fermée depuis six ans et sert de dépôt sauvage. Le quartier "
        "manque d'espaces verts où se retrouver.",
        "days": 60,
        "accept": "sofia",
        "priority": 1,
        "online": ["karim", "lea", "sofia"],
        "paper": (54, "Feuilles signées au marché du samedi et à la maison de quartier"),
        "dossier": {
            "proposal": "Un jardin partagé de 1 200 m² sur la friche des Lilas :\n\n"
            "- 30 parcelles de 10 m² attribuées pour deux ans ;\n"
            "- 6 bacs surélevés accessibles en fauteuil ;\n"
            "- un composteur et une cabane à outils ;\n"
            "- un espace réservé à l'école maternelle des Lilas.\n\n"
            "L'association du jardin signe une convention d'occupation avec la "
            "commune et s'engage à ouvrir le jardin au public le samedi.",
            "questions": "La dépollution du sol est-elle nécessaire avant de cultiver ?\n\n"
            "Qui paie l'arrivée d'eau ?\n\n"
            "Quelle durée pour la convention d'occupation ?",
            "note": "Surface et nombre de parcelles précisés après la première réunion",
        },
        "document": (
            "Plan cadastral de la friche des Lilas",
            "https://www.ormeval.example/documents/friche-des-lilas.pdf",
        ),
        "sessions": True,
    },
    {
        "key": "submitted",
        "author": "lea",
        "where": ["bellevue"],
        "members": 5,
        "title": "Des jeux pour les tout-petits au parc de Bellevue",
        "summary": "Créer un espace de jeux clôturé pour les enfants de moins de six ans au parc "
        "de Bellevue, avec des bancs à l'ombre pour les parents.",
        "reasons": "L'aire de jeux actuelle est conçue pour les plus grands ; les tout-petits "
        "n'ont aucun espace sûr dans le quartier.",
        "days": 80,
        "accept": "lea",
        "priority": 1,
        "online": ["claire", "karim"],
        "reach": "Cahiers de soutien déposés à la crèche et à la PMI",
        "submitted_days": 20,
        "acknowledged": True,
    },
    {
        "key": "overdue",
        "author": "karim",
        "where": ["quai-des-tanneurs"],
        "members": 4,
        "title": "Éclairer le chemin de halage entre le pont et la passerelle",
        "summary": "Installer un éclairage à détection de présence, sobre et orienté vers le sol, "
        "le long des 800 mètres du chemin de halage.",
        "reasons": "Le chemin est le trajet le plus court vers la gare ; l'hiver, il est plongé "
        "dans le noir dès 17 h et beaucoup de riverains l'évitent.",
        "days": 170,
        "online": ["lea", "sofia"],
        "reach": "Feuilles signées à la sortie de la gare",
        "submitted_days": 118,
        "acknowledged": True,
    },
    {
        "key": "retained",
        "author": "claire",
        "where": ["centre-historique"],
        "members": 4,
        "title": "Une rue aux écoles devant l'école Jules-Ferry",
        "summary": "Fermer la rue Jules-Ferry à la circulation automobile aux heures d'entrée et "
        "de sortie de l'école, avec des barrières amovibles gérées par la commune.",
        "reasons": "Le matin, les voitures qui déposent les enfants bloquent les trottoirs ; "
        "deux accidents ont eu lieu l'an dernier.",
        "days": 150,
        "online": ["karim", "lea", "sofia"],
        "reach": "Pétition papier des parents d'élèves",
        "submitted_days": 70,
        "decision": {
            "outcome": "retained",
            "days": 15,
            "reference": "Délibération du conseil municipal n° 2026-118",
            "reason": "Le conseil municipal retient l'initiative : la rue Jules-Ferry "
            "deviendra une rue aux écoles à la rentrée. Le projet associera "
            "les parents, l'équipe enseignante et les riverains à la "
            "définition des horaires et des aménagements.",
        },
    },
    {
        "key": "partly",
        "author": "lea",
        "where": ["bellevue", "les-tilleuls"],
        "members": 4,
        "title": "De l'ombre et des bancs sur le parcours de santé",
        "summary": "Planter vingt arbres, installer dix bancs et deux fontaines le long du "
        "parcours de santé qui relie Bellevue aux Tilleuls.",
        "reasons": "L'été, le parcours est impraticable l'après-midi ; les personnes âgées n'ont "
        "nulle part où se reposer.",
        "days": 200,
        "accept": "lea",
        "online": ["claire", "karim"],
        "reach": "Feuilles du club de marche",
        "submitted_days": 100,
        "decision": {
            "outcome": "partly_retained",
            "days": 40,
            "reference": "Décision du maire n° 2026-57",
            "reason": "Les bancs et les arbres sont retenus et inscrits au budget "
            "de l'année prochaine. Les fontaines ne sont pas retenues : le "
            "raccordement au réseau d'eau coûterait plus de 80 000 €, hors "
            "de proportion avec l'usage prévu.",
        },
    },
    {
        "key": "not_retained",
        "author": "karim",
        "where": [],
        "members": 8,
        "title": "Piétonniser tout le centre-ville chaque week-end",
        "summary": "Interdire la circulation automobile dans tout le centre-ville du samedi "
        "10 h au dimanche 20 h, toute l'année.",
        "reasons": "Rendre le centre aux piétons, aux vélos et aux commerces de proximité.",
        "days": 240,
        "online": ["claire", "lea", "sofia"],
        "reach": "Feuilles de soutien des commerçants et des associations",
        "submitted_days": 130,
        "assign": "conseil-des-jeunes",
        "decision": {
            "outcome": "not_retained",
            "days": 45,
            "reference": "Délibération du conseil municipal n° 2026-091",
            "reason": "Le conseil municipal ne retient pas l'initiative : la "
            "fermeture de tout le centre chaque week-end couperait l'accès "
            "à l'hôpital et aux deux parkings de la gare, et les lignes de "
            "bus 3 et 7 devraient être déviées sans solution équivalente. "
            "La commune proposera en revanche une rue piétonne le samedi sur "
            "la Grand-Rue, à l'essai, dans le cadre du plan de mobilité.",
        },
    },
    {
        "key": "withdrawn",
        "author": "lea",
        "where": ["bellevue"],
        "members": 4,
        "title": "Un marché nocturne l'été place de Bellevue",
        "summary": "Organiser un marché de producteurs le jeudi soir en juillet et en août "
        "place de Bellevue.",
        "days": 120,
        "withdraw": "La Métropole organise désormais un marché nocturne sur la "
        "place voisine : le collectif a choisi de s'y associer.",
        "withdraw_days": 30,
    },
]


def _user(name: str):
    return find_user_by_email(f"{name}@ormeval.example")


def _ago(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def _fillers():
    users = []
    for number, full_name in enumerate(NAMES, start=1):
        email = f"collectif{number:02d}@ormeval.example"
        user = find_user_by_email(email)
        if user is None:
            first, last = full_name.split(" ", 1)
            user = create_user(
                email, None, f"{first} {last[0]}.", confirmed=True, verified_resident=True
            )
            user.full_name = full_name
        users.append(user)
    db.session.commit()
    return users


def load(app) -> None:
    if _user("agent") is None:
        return
    registry = app.extensions["hub"].settings
    for key, value in SETTINGS.items():
        registry.set(key, value)
    db.session.commit()
    with offline_request_context(app):
        _load()


def _load() -> None:
    fillers = _fillers()
    quarters = {n.slug: n.id for n in db.session.scalars(select(Neighbourhood))}
    for spec in INITIATIVES:
        author = _user(spec["author"])
        item = services.propose(
            author,
            title=spec["title"],
            summary=spec["summary"],
            reasons=spec.get("reasons", ""),
            neighbourhood_ids=[quarters[s] for s in spec["where"] if s in quarters],
        )
        for filler in fillers[: spec["members"] - 1]:
            services.join(item.id, filler)
        _work(item.id, spec, fillers)
        _backdate(item.id, spec)


def _work(item_id: int, spec: dict, fillers) -> None:
    item = db.session.get(Initiative, item_id)
    if spec.get("assign"):
        body = db.session.scalar(select(Body).where(Body.slug == spec["assign"]))
        if body is not None:
            services.assign_facilitator(item_id, body.id, _user("agent"))
    if spec.get("accept"):
        services.answer_facilitation(
            item_id,
            _user(spec["accept"]),
            accept=True,
            note="Le conseil de quartier accompagne le collectif et "
            "met la salle de la maison de quartier à sa "
            "disposition.",
        )
        if spec.get("priority"):
            services.set_priority(item_id, _user(spec["accept"]), spec["priority"])
    item = db.session.get(Initiative, item_id)
    if item.collection_id:
        for name in spec.get("online", []):
            signatures.sign(item.collection_id, _user(name), public_name=name != "karim")
        for filler in fillers[:3]:
            signatures.sign(item.collection_id, filler)
        if spec.get("paper"):
            count, note = spec["paper"]
            signatures.add_offline(item.collection_id, count, actor=_user("agent"), note=note)
        if spec.get("reach"):
            item = db.session.get(Initiative, item_id)
            missing = item.support_threshold - item.collection.total
            if missing > 0:
                signatures.add_offline(
                    item.collection_id, missing, actor=_user("agent"), note=spec["reach"]
                )
    if spec.get("dossier"):
        services.save_dossier(item_id, _user(spec["author"]), **spec["dossier"])
    if spec.get("document"):
        title, url = spec["document"]
        services.add_document(item_id, _user(spec["author"]), title=title, url=url)
    if spec.get("sessions"):
        _sessions(item_id, spec)
    if spec.get("submitted_days"):
        services.submit(item_id, _user(spec["author"]))
        with write_transaction():
            item = db.session.get(Initiative, item_id)
            item.submitted_at = item.state_changed_at = _ago(spec["submitted_days"])
            item.decision_due = rules.decision_due(item.submitted_at.date())
        if spec.get("acknowledged"):
            services.acknowledge(item_id, _user("agent"))
            with write_transaction():
                item = db.session.get(Initiative, item_id)
                item.acknowledged_at = item.submitted_at + timedelta(days=5)
    if spec.get("decision"):
        decision = spec["decision"]
        services.decide(
            item_id,
            _user("elu"),
            outcome=decision["outcome"],
            reason=decision["reason"],
            reference=decision["reference"],
            decided_on=_ago(decision["days"]).date(),
        )
    if spec.get("withdraw"):
        services.withdraw(item_id, _user(spec["author"]), spec["withdraw"])


def _sessions(item_id: int, spec: dict) -> None:
    """A past session with its minutes, and one to come with registrations open."""
    author = _user(spec["author"])
    now = local_now().replace(second=0, microsecond=0)
    past = services.plan_session(
        item_id,
        author,
        title="Première réunion du collectif : visite de la friche",
        starts_at=(now - timedelta(days=21)).replace(hour=18, minute=30),
        ends_at=(now - timedelta(days=21)).replace(hour=20, minute=30),
        place="Maison de quartier de La Garenne, 4 rue des Acacias",
        accessibility="Salle de plain-pied, boucle magnétique.",
        description="Visite de la friche, tour de table, premières idées d'aménagement.",
        registrations_open=False,
        capacity=None,
    )
    with write_transaction():
        meeting = db.session.get(type(past), past.id)
        sessions.record_attendance(meeting, 23, [], _user("sofia"))
        sofia = _user("sofia")
        sections = {
            "objectives": "Découvrir la friche, recueillir les envies des habitants.",
            "method": "Visite commentée, puis ateliers en petits groupes autour d'un plan.",
            "synthesis": "Vingt-trois habitants présents. Accord sur des parcelles "
            "individuelles et des bacs accessibles ; demande d'un coin pour "
            "l'école maternelle.",
            "questions": "- La pollution du sol impose-t-elle une dépollution ?\n"
            "- Qui paie l'arrivée d'eau ?",
            "proposals": "- 30 parcelles de 10 m² et 6 bacs surélevés\n"
            "- Un espace réservé à l'école maternelle",
            "next_agenda": "Présenter un plan d'aménagement ; rencontrer le service des "
            "espaces verts.",
        }
        sessions.save_draft(meeting, sofia, sections)
        sections["synthesis"] += " Les riverains demandent que le jardin ferme à 20 h."
        sessions.save_draft(
            meeting, sofia, sections, note="Horaires ajoutés à la demande des riverains"
        )
        sessions.approve_minutes(meeting, sofia)
        sessions.publish_minutes(meeting, sofia)
    services.plan_session(
        item_id,
        author,
        title="Deuxième réunion : le plan d'aménagement",
        starts_at=(now + timedelta(days=12)).replace(hour=18, minute=30),
        ends_at=(now + timedelta(days=12)).replace(hour=20, minute=0),
        place="Maison de quartier de La Garenne, 4 rue des Acacias",
        accessibility="Salle de plain-pied, boucle magnétique.",
        description="Présentation du plan, choix des parcelles, convention d'occupation.",
        registrations_open=True,
        capacity=40,
    )


def _backdate(item_id: int, spec: dict) -> None:
    """Move the proposal and the constitution back in time (later dates were set on the way)."""
    with write_transaction():
        item = db.session.get(Initiative, item_id)
        created = _ago(spec["days"])
        item.created_at = created
        if item.constituted_at is not None:
            item.constituted_at = created + timedelta(days=min(10, spec["days"] // 3))
        if item.facilitation_asked_at is not None:
            item.facilitation_asked_at = item.constituted_at or created
        if item.facilitation_answered_at is not None:
            item.facilitation_answered_at = (item.constituted_at or created) + timedelta(days=3)
        if item.state in ("proposed", "constituted"):
            item.state_changed_at = item.constituted_at or created
        if item.state == "withdrawn":
            item.withdrawn_at = item.state_changed_at = _ago(spec["withdraw_days"])
        if item.decided_at is not None:
            item.decided_at = item.state_changed_at = datetime.combine(
                item.decided_on, datetime.min.time()
            ) + timedelta(hours=17)
            if item.answer is not None:
                item.answer.created_at = item.decided_at
