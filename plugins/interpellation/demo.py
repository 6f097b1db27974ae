"""Demo interpellations for Ormeval: one at each stage, and one the council is late to take up.

Everything goes through :mod:`.services` and the core signature service (committees,
signatures, paper batches, thresholds), then dates are moved back so that the tracker
shows a believable history. The committee is completed by fictional residents who have
no password (they cannot log in).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hub.plugin import (
    create_user,
    db,
    find_user_by_email,
    get_setting,
    offline_request_context,
    signatures,
    utcnow,
    write_transaction,
)

from . import services
from .models import Interpellation

COMMITTEE_NAMES = [
    "Martine Lefèvre",
    "Youssef Amrani",
    "Nathalie Roux",
    "Bernard Caron",
    "Inès Fontaine",
    "Thomas Garnier",
    "Aïcha Diallo",
    "Julien Mercier",
    "Sylvie Bonnet",
    "Mehdi Brahimi",
    "Chantal Perrot",
    "Hugo Lambert",
    "Fatou Ndiaye",
    "Pierre Vasseur",
    "Émilie Chevalier",
    "Rachid Benkhaled",
    "Monique Gauthier",
    "Antoine Leroy",
    "Samia Ouali",
    "Gérard Blanchard",
    "Laura Picard",
    "Kévin Morin",
    "Odile Renaud",
    "Bastien Colin",
    "Hélène Marchand",
    "Nicolas Barbier",
    "Yasmina Kaci",
    "François Dupuis",
]

INTERPELLATIONS = [
    {
        "key": "forming",
        "author": "lea",
        "kind": "request",
        "council": "municipal",
        "competence": "Petite enfance",
        "stage": "forming",
        "members": 6,
        "title": "Créer une crèche à horaires élargis dans le quartier de Bellevue",
        "body": (
            "Les parents qui travaillent en horaires décalés (hôpital, logistique, commerce) ne "
            "trouvent aucune solution de garde avant 7 h 30 ni après 18 h 30 à Ormeval.\n\n"
            "Nous demandons au conseil municipal d'étudier l'ouverture d'une crèche municipale "
            "à horaires élargis (6 h 30 – 21 h) dans le quartier de Bellevue, et de présenter "
            "le résultat de cette étude en séance."
        ),
    },
    {
        "key": "review",
        "author": "sofia",
        "kind": "question",
        "council": "metropole",
        "competence": "Mobilités et transports",
        "stage": "review",
        "filed_days_ago": 12,
        "title": "Quand la ligne de bus 12 desservira-t-elle la zone d'activités de la Garenne ?",
        "body": (
            "Depuis l'ouverture de la zone d'activités de la Garenne, plus de 600 salariés s'y "
            "rendent chaque jour, presque tous en voiture : aucune ligne de bus ne la dessert.\n\n"
            "Nous demandons au conseil de la Métropole du Val d'Orne à quelle date la ligne 12 "
            "sera prolongée jusqu'à la zone, et avec quelle fréquence aux heures de pointe."
        ),
    },
    {
        "key": "inadmissible",
        "author": "karim",
        "kind": "request",
        "council": "municipal",
        "competence": "Tranquillité publique",
        "stage": "inadmissible",
        "filed_days_ago": 70,
        "title": "Interdire la fête foraine de la Saint-Jean sur tout le territoire",
        "body": (
            "La fête foraine de la Saint-Jean occasionne chaque année du bruit jusqu'à une heure "
            "du matin près du quai des Tanneurs.\n\n"
            "Nous demandons au conseil municipal d'interdire définitivement toute fête foraine "
            "à Ormeval."
        ),
        "reason": (
            "L'interdiction générale et définitive d'une manifestation relève des pouvoirs de "
            "police du maire, encadrés par la loi ; elle ne peut pas faire l'objet d'une "
            "délibération du conseil municipal. L'interpellation ne porte donc pas sur une "
            "compétence du conseil.\n\n"
            "Le comité peut déposer une nouvelle interpellation sur les horaires et "
            "l'emplacement de la fête, qui relèvent de la convention d'occupation du domaine "
            "public votée par le conseil."
        ),
    },
    {
        "key": "collecting",
        "author": "claire",
        "kind": "request",
        "council": "municipal",
        "competence": "Environnement et espaces verts",
        "stage": "collecting",
        "filed_days_ago": 45,
        "open_days_ago": 20,
        "signers": ["karim", "lea", "sofia"],
        "paper": (137, "Feuilles déposées à l'accueil de la mairie et au marché du samedi"),
        "title": "Végétaliser les cours des écoles Jules-Ferry et des Tilleuls",
        "body": (
            "L'été dernier, la température a dépassé 40 °C dans la cour bitumée de l'école "
            "Jules-Ferry. Plusieurs communes voisines ont transformé leurs cours en "
            "« cours oasis » : sols perméables, arbres, points d'eau.\n\n"
            "Nous demandons au conseil municipal d'inscrire la végétalisation des cours des "
            "écoles Jules-Ferry et des Tilleuls au programme d'investissement, avec les "
            "enfants, les enseignants et les parents associés à la conception."
        ),
    },
    {
        "key": "expired",
        "author": "karim",
        "kind": "question",
        "council": "municipal",
        "competence": "Sport et équipements",
        "stage": "expired",
        "filed_days_ago": 160,
        "open_days_ago": 130,
        "signers": ["claire"],
        "paper": (214, "Feuilles du club de natation et de l'association des parents"),
        "title": "Quel avenir pour la piscine Léo-Lagrange, fermée depuis 2023 ?",
        "body": (
            "La piscine Léo-Lagrange est fermée depuis l'été 2023 pour raisons techniques. "
            "Les écoles et les clubs sont renvoyés vers les communes voisines.\n\n"
            "Nous demandons au conseil municipal de présenter en séance le diagnostic du "
            "bâtiment, le coût d'une réhabilitation et le calendrier envisagé."
        ),
    },
    {
        "key": "scheduled",
        "author": "sofia",
        "kind": "request",
        "council": "metropole",
        "competence": "Propreté et déchets",
        "stage": "scheduled",
        "filed_days_ago": 75,
        "open_days_ago": 55,
        "reached_days_ago": 21,
        "signers": ["claire", "karim", "lea"],
        "paper": None,
        "session_in_days": 24,
        "session_place": "Hôtel de Métropole, salle du conseil, 2 place de l'Europe",
        "title": "Installer des points d'apport volontaire pour les biodéchets dans chaque quartier",
        "body": (
            "Depuis le 1er janvier 2024, le tri à la source des biodéchets est obligatoire, mais "
            "aucun point de collecte n'existe à la Garenne ni au quai des Tanneurs.\n\n"
            "Nous demandons au conseil de la Métropole du Val d'Orne d'installer au moins un "
            "point d'apport volontaire pour les biodéchets par quartier d'Ormeval avant la fin "
            "de l'année, et de publier leur taux d'utilisation."
        ),
    },
    {
        "key": "overdue",
        "author": "lea",
        "kind": "question",
        "council": "municipal",
        "competence": "Voirie et espaces publics",
        "stage": "scheduled",
        "filed_days_ago": 230,
        "open_days_ago": 205,
        "reached_days_ago": 130,
        "signers": ["claire", "sofia"],
        "paper": None,
        "title": "Quand la rue des Tanneurs sera-t-elle rendue accessible aux fauteuils roulants ?",
        "body": (
            "Les trottoirs de la rue des Tanneurs mesurent par endroits moins de 90 cm et "
            "aucun passage piéton n'est abaissé entre le pont et la place du Marché.\n\n"
            "Nous demandons au conseil municipal quand ces travaux, prévus au plan de mise en "
            "accessibilité de la voirie de 2019, seront réalisés."
        ),
    },
    {
        "key": "answered",
        "author": "claire",
        "kind": "request",
        "council": "municipal",
        "competence": "Culture et patrimoine",
        "stage": "answered",
        "filed_days_ago": 300,
        "open_days_ago": 280,
        "reached_days_ago": 200,
        "answered_days_ago": 140,
        "signers": ["karim", "lea", "sofia"],
        "paper": None,
        "session_place": "Hôtel de ville, salle du conseil municipal",
        "title": "Ouvrir la médiathèque le dimanche matin",
        "body": (
            "La médiathèque municipale ferme le samedi à 17 h et reste fermée le dimanche. "
            "Pour les familles qui travaillent en semaine, c'est le seul moment possible.\n\n"
            "Nous demandons au conseil municipal de décider une ouverture le dimanche de 10 h "
            "à 13 h, à titre d'essai pendant un an."
        ),
        "outcome": "adopted",
        "votes": (29, 4, 2),
        "deliberation": (
            "Le conseil municipal décide l'ouverture de la médiathèque le dimanche de 10 h à "
            "13 h, à titre expérimental pour un an, à compter du premier dimanche de "
            "septembre. Un bilan de fréquentation sera présenté en séance à l'issue de "
            "l'expérimentation."
        ),
        "answer": (
            "Le conseil municipal remercie le comité et les signataires. L'ouverture dominicale "
            "sera assurée par deux agents volontaires, avec une majoration prévue par le "
            "règlement du temps de travail, et par des bénévoles de l'association « Lire à "
            "Ormeval » pour l'heure du conte.\n\n"
            "Le coût, estimé à 21 000 € par an, est inscrit au budget supplémentaire."
        ),
    },
]


def _user(name: str):
    return find_user_by_email(f"{name}@ormeval.example")


def _committee_fillers():
    """Fictional verified residents who complete the demo committees (no password)."""
    users = []
    for number, full_name in enumerate(COMMITTEE_NAMES, start=1):
        email = f"comite{number:02d}@ormeval.example"
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


def _ago(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def load(app) -> None:
    with offline_request_context(app):
        _load()


BIRTH_DATES = {
    "claire": date(1984, 3, 2),
    "karim": date(1991, 10, 17),
    "lea": date(2001, 6, 25),
    "sofia": date(1976, 1, 9),
}


def _load() -> None:
    # Signing asks for a minimum age: the demo residents get a (fictional) birth date.
    for name, born in BIRTH_DATES.items():
        resident = _user(name)
        if resident is not None and resident.birth_date is None:
            resident.birth_date = born
    db.session.commit()
    fillers = _committee_fillers()
    size = int(get_setting("interpellation_committee_size"))
    agent = _user("agent")
    for spec in INTERPELLATIONS:
        item = services.create(
            _user(spec["author"]),
            title=spec["title"],
            body=spec["body"],
            kind=spec["kind"],
            council=spec["council"],
            competence=spec["competence"],
        )
        members = spec.get("members", size) - 1
        for filler in fillers[:members]:
            services.join_committee(item, filler)
        item = db.session.get(Interpellation, item.id)
        if spec["stage"] == "forming":
            continue
        if spec["stage"] == "inadmissible":
            with write_transaction():
                services.declare_inadmissible(item, agent, spec["reason"])
        elif spec["stage"] != "review":
            with write_transaction():
                services.declare_admissible(item, agent)
            _sign(item, spec)
        _backdate(db.session.get(Interpellation, item.id), spec)
    services.close_expired()  # the demo's expired interpellation, closed as the command does


def _sign(item: Interpellation, spec: dict) -> None:
    for name in spec.get("signers", []):
        signatures.sign(item.collection_id, _user(name), public_name=name != "karim")
    if spec.get("paper"):
        count, note = spec["paper"]
        signatures.add_offline(item.collection_id, count, actor=_user("agent"), note=note)
    if spec["stage"] in ("scheduled", "answered"):
        item = db.session.get(Interpellation, item.id)
        missing = item.threshold - item.collection.total
        signatures.add_offline(
            item.collection_id,
            missing,
            actor=_user("agent"),
            note="Feuilles de signatures déposées en mairie par le comité",
        )
    if spec["stage"] == "answered":
        item = db.session.get(Interpellation, item.id)
        when = (_ago(spec["answered_days_ago"]) + timedelta(hours=1)).replace(
            hour=18, minute=30, second=0, microsecond=0
        )
        with write_transaction():
            services.record_answer(
                item,
                _user("agent"),
                starts_at=when,
                place=spec["session_place"],
                minutes_url="https://www.ormeval.example/conseil-municipal/proces-verbaux",
                outcome=spec["outcome"],
                deliberation=spec["deliberation"],
                votes=spec["votes"],
                answer=spec["answer"],
            )
    elif spec.get("session_in_days"):
        item = db.session.get(Interpellation, item.id)
        when = (utcnow() + timedelta(days=spec["session_in_days"])).replace(
            hour=18, minute=0, second=0, microsecond=0
        )
        with write_transaction():
            services.schedule_session(
                item, _user("agent"), starts_at=when, place=spec["session_place"]
            )


def _backdate(item: Interpellation, spec: dict) -> None:
    """Move the history back in time, keeping the rules' own durations between the dates."""
    with write_transaction():
        filed = _ago(spec["filed_days_ago"])
        item.created_at = filed - timedelta(days=6)
        item.filed_at = filed
        item.review_due_on = services.local_today(filed) + timedelta(
            days=int(get_setting("interpellation_review_days"))
        )
        if spec["stage"] == "review":
            return
        item.reviewed_at = _ago(spec.get("open_days_ago", spec["filed_days_ago"] - 18))
        if spec["stage"] == "inadmissible":
            return
        opened = _ago(spec["open_days_ago"])
        closes = opened + timedelta(days=int(get_setting("interpellation_signature_days")))
        item.signatures_open_at, item.signatures_close_at = opened, closes
        collection = item.collection
        collection.opens_at = opened
        if spec["stage"] in ("collecting", "expired"):
            collection.closes_at = closes
        if spec.get("reached_days_ago"):
            reached = _ago(spec["reached_days_ago"])
            item.reached_at = collection.closes_at = reached
            item.council_due_on = services.add_months(
                services.local_today(reached), int(get_setting("interpellation_council_months"))
            )
