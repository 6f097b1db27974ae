"""Demo petitions for Ormeval: open, answered (and still open: its debate in the council is
set at a council session), and one rejected for a third party's personal data (its text
withheld from the public), signed by the demo residents.

Everything goes through :mod:`.services` and the core signature service, so the demo
data obeys the same rules (counters, thresholds, audit) as real use.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from hub.plugin import (
    Neighbourhood,
    comments,
    db,
    find_user_by_email,
    local_now,
    offline_request_context,
    signatures,
    utcnow,
    write_transaction,
)

from . import services
from .models import Petition

PETITIONS = [
    {
        "key": "piste",
        "author": "karim@ormeval.example",
        "addressee": "metropole",
        "category": "Mobilités",
        "quarter": "les-tilleuls",
        "title": "Pour une piste cyclable protégée sur l'avenue de la Gare",
        "body": (
            "Chaque matin, des dizaines d'enfants rejoignent à vélo le collège Jean-Moulin "
            "par l'avenue de la Gare, au milieu des voitures et des bus.\n\n"
            "Nous demandons à la Métropole du Val d'Orne :\n\n"
            "- une piste cyclable séparée de la chaussée entre la gare et le collège ;\n"
            "- un arceau de stationnement vélo devant la médiathèque ;\n"
            "- une zone 30 aux abords de l'école des Tilleuls.\n\n"
            "Des aménagements simples, déjà réalisés dans d'autres communes de la métropole."
        ),
        "signers": ["claire", "lea", "sofia"],
        "paper": (48, "Feuilles déposées à la mairie annexe des Tilleuls, mars"),
        "discussion": [
            (
                "claire",
                "Je passe par l'avenue tous les jours avec ma fille : les bus frôlent les vélos.",
            ),
            ("paul", "Une piste séparée prendrait des places de stationnement, est-ce prévu ?"),
        ],
        "official_reply": (
            "agent",
            "La Métropole étudie l'aménagement de l'avenue pour 2027 : la piste et le "
            "stationnement seront présentés en réunion publique aux Tilleuls.",
        ),
    },
    {
        "key": "mediatheque",
        "author": "lea@ormeval.example",
        "addressee": "mayor",
        "category": "Culture et sport",
        "quarter": None,
        "title": "Ouvrir la médiathèque le dimanche matin",
        "body": (
            "La médiathèque municipale ferme le samedi à 17 h et reste fermée le dimanche. "
            "Pour les familles qui travaillent en semaine, c'est le seul moment possible.\n\n"
            "Nous demandons une ouverture le dimanche de 10 h à 13 h, au moins un dimanche "
            "sur deux, à titre d'essai pendant six mois."
        ),
        "signers": ["claire", "karim"],
        "paper": None,
    },
    {
        "key": "toilettes",
        "author": "claire@ormeval.example",
        "addressee": "council",
        "category": "Cadre de vie",
        "quarter": "bellevue",
        "title": "Rouvrir les toilettes publiques du parc de Bellevue",
        "body": (
            "Les toilettes du parc de Bellevue sont fermées depuis deux ans. Le parc accueille "
            "pourtant l'aire de jeux la plus fréquentée du quartier et le marché du jeudi.\n\n"
            "Nous demandons leur remise en état et leur ouverture de 8 h à 20 h."
        ),
        "signers": ["karim", "lea", "sofia"],
        "paper": (160, "Marché du jeudi, stand du conseil de quartier"),
        "debate": "Salle du conseil, hôtel de ville",
        "answer": (
            "La commune remercie les signataires. Les toilettes du parc de Bellevue seront "
            "rénovées au printemps (accessibilité aux personnes à mobilité réduite comprise) "
            "et rouvertes de 8 h à 20 h dès le mois de mai.\n\n"
            "Le budget de 48 000 € est inscrit au budget supplémentaire voté en conseil "
            "municipal. Le conseil de quartier de Bellevue suivra les travaux."
        ),
    },
    {
        "key": "voisin",
        "author": "sofia@ormeval.example",
        "addressee": "mayor",
        "category": "Sécurité et tranquillité",
        "quarter": "la-garenne",
        "title": "Faire cesser les nuisances du bar de la place des Tilleuls",
        "body": (
            "Le gérant du bar de la place, M. X, laisse sa clientèle faire du bruit tous les "
            "soirs. Nous demandons la fermeture administrative de son établissement."
        ),
        "signers": [],
        "paper": None,
        "reject": (
            "Données personnelles d'un tiers",
            "Votre pétition met en cause une personne nommément. Vous pouvez la "
            "reformuler autour des nuisances nocturnes sur la place (horaires, "
            "médiation, passage de la police municipale) sans viser quelqu'un.",
        ),
    },
]


def _user(short: str):
    return find_user_by_email(short if "@" in short else f"{short}@ormeval.example")


def _create(spec: dict, moderator, official):
    author = _user(spec["author"])
    quarter = (
        db.session.scalar(select(Neighbourhood.id).where(Neighbourhood.slug == spec["quarter"]))
        if spec["quarter"]
        else None
    )
    with write_transaction():
        petition = services.create_draft(
            author,
            title=spec["title"],
            body=spec["body"],
            addressee=spec["addressee"],
            category=spec["category"],
            neighbourhood_id=quarter,
        )
        services.submit_for_moderation(petition)
        if "reject" in spec:
            services.reject(petition, moderator, *spec["reject"])
            return petition
        services.publish(petition, moderator)
        petition.published_at = utcnow() - timedelta(days=20)
    for i, short in enumerate(spec["signers"]):
        signatures.sign(
            petition.collection_id, _user(short), public_name=i % 2 == 0, ip="192.0.2.10"
        )
    if spec["paper"]:
        agent = _user("agent")
        signatures.add_offline(
            petition.collection_id, spec["paper"][0], actor=agent, note=spec["paper"][1]
        )
    if "answer" in spec:
        with write_transaction():
            services.answer(db.session.get(type(petition), petition.id), official, spec["answer"])
    if "discussion" in spec:
        _discuss(petition.id, spec)
    if "debate" in spec:
        starts_at = (local_now() + timedelta(days=21)).replace(
            hour=19, minute=0, second=0, microsecond=0
        )
        with write_transaction():
            services.schedule_debate(
                db.session.get(type(petition), petition.id),
                official,
                starts_at=starts_at,
                place=spec["debate"],
            )
    return petition


def _discuss(petition_id: int, spec: dict) -> None:
    """A discussion under the petition (the core comments service), with the commune's
    official reply to the first comment."""
    petition = db.session.get(Petition, petition_id)
    first = None
    with write_transaction():
        for short, body in spec["discussion"]:
            comment = comments.post(petition, body, _user(short))
            first = first or comment
        if "official_reply" in spec:
            short, body = spec["official_reply"]
            comments.post(petition, body, _user(short), parent=first, official=True)


def _held_for_premoderation(registry) -> None:
    """Pre-moderation as staff find it: petitions named in ``moderation_premoderated``, and
    one submitted petition whose text waits for a moderator (in the moderators' queue) before
    its admissibility review may publish it."""
    names = list(registry.get("moderation_premoderated") or [])
    if "petitions" not in names:
        registry.set("moderation_premoderated", [*names, "petitions"])
        db.session.commit()
    with write_transaction():
        petition = services.create_draft(
            _user("sofia"),
            title="Éclairer le passage sous la voie ferrée",
            body=(
                "Le passage piéton sous la voie ferrée, entre la gare et le quartier des "
                "Tanneurs, n'a plus d'éclairage depuis l'automne. Nous demandons qu'il soit "
                "réparé et qu'un éclairage à détection de présence soit installé."
            ),
            addressee="mayor",
            category="Cadre de vie",
        )
        services.submit_for_moderation(petition)


def load(app) -> None:
    with offline_request_context(app):
        registry = app.extensions["hub"].settings
        # Demo thresholds sized for a handful of accounts, so the progress bars show something.
        registry.set("petitions_threshold_answer", 50)
        registry.set("petitions_threshold_debate", 150)
        db.session.commit()
        # Signing asks for a minimum age: the demo residents get a (fictional) birth date.
        for year, short in enumerate(("claire", "karim", "lea", "paul", "sofia"), start=1968):
            resident = _user(short)
            if resident is not None and resident.birth_date is None:
                resident.birth_date = date(year + 3 * (year % 5), 4, 12)
        db.session.commit()
        moderator, official = _user("moderation"), _user("elu")
        for spec in PETITIONS:
            _create(spec, moderator, official)
        _held_for_premoderation(registry)
        with write_transaction():
            draft = services.create_draft(
                _user("paul"),
                title="Installer des bancs le long du quai des Tanneurs",
                body=(
                    "Le quai des Tanneurs est une promenade appréciée des personnes âgées, "
                    "mais on n'y trouve aucun banc sur près d'un kilomètre."
                ),
                addressee="mayor",
                category="Cadre de vie",
            )
            services.start_gathering(draft)
