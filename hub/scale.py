"""A demonstration at the size of a métropole (``hub demo --scale metropole``), for benchmarks.

The commune demo (Ormeval and its stories, ``hub demo``) is loaded first, so the same accounts
and pages exist at both sizes; then bulk rows are written straight into the tables, in batches
(``executemany``), with explicit ids and with every counter written from the rows it counts.
The core writes its own tables (territory, accounts, bodies, projects, contributions, sessions,
follows); each plugin adds its share through ``hub_load_scale_content(scale)``, using the
:class:`Scale` helpers (``insert``, ``next_id``, ``add_signatures``…).

``--scale-factor`` shrinks every number (0.001 builds a tiny métropole in a few seconds for
tests, which then check the invariants: counters equal rows, every foreign key valid).
Everything is invented and drawn from a seeded random generator: the same factor gives the
same data.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice

import click
from sqlalchemy import func, select, text

from .db import utcnow
from .extensions import db

# The métropole's numbers at factor 1 (hub/scale.py builds these on top of the commune demo).
METROPOLE = {
    "communes": 95,
    "neighbourhoods": 600,
    "bodies": 1_200,
    "projects": 2_000,
    "contributions": 200_000,
    "accounts": 100_000,
    "sessions": 20_000,
    "follows": 60_000,
    "registrations": 40_000,
}
SCALES = {"metropole": METROPOLE}

BATCH = 5_000
SQLITE_CACHE_KIB = 512 * 1024
SCALE_DOMAIN = "scale.example"

_FIRST = (
    "Camille Dominique Claude Alix Sacha Lou Noa Maxime Charlie Eden Morgan Yanis Inès Jade "
    "Louise Hugo Léo Emma Nathan Chloé Adam Manon Lina Mohamed Sarah Théo Zoé Rayan Alice Lucas"
).split()
_LAST = (
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefebvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine "
    "Rousseau Vincent Muller Lefèvre Faure Andre Mercier Blanc Guérin Boyer Garnier Chevalier"
).split()
_PLACES = (
    "Saint-Martin Val-Fleuri Les Aulnes Beaulieu Clairefontaine Montjoie Le Breuil Les Prés "
    "La Croix Rochebrune Champvert Bois-Joli Le Moulin Les Vignes Pont-Neuf Haute-Rive"
).split()
_TOPICS = (
    "piste cyclable",
    "aire de jeux",
    "éclairage public",
    "jardin partagé",
    "arrêt de bus",
    "zone de rencontre",
    "terrain de sport",
    "fontaine à eau",
    "bancs et ombrage",
    "maison de quartier",
    "composteur collectif",
    "trottoirs accessibles",
)


class Scale:
    """What a bulk loader needs: the numbers, a seeded generator and batch writers.

    ``count(n)`` scales a number from the métropole's size; ``insert(model, rows)`` writes
    rows (dicts with the same keys) in batches; ``next_id(model)`` is the first free id (ids
    are given explicitly so that related rows can be written without reading back). The
    core fills ``user_ids``, ``verified_ids``, ``staff_ids``, ``neighbourhood_ids``,
    ``commune_ids``, ``body_ids`` and ``project_ids`` before the plugins run.
    """

    def __init__(
        self, app, name: str = "metropole", factor: float = 1.0, seed: int = 16, echo=None
    ):
        self.app = app
        self.name = name
        self.targets = SCALES[name]
        self.factor = float(factor)
        self.rng = random.Random(seed)
        self.now = utcnow().replace(microsecond=0)
        self.echo = echo or (lambda message: None)
        self.started = time.monotonic()
        self.written: dict[str, int] = {}
        self._explicit_ids: set[str] = set()
        self.user_ids: list[int] = []
        self.verified_ids: list[int] = []
        self.staff_ids: list[int] = []
        self.user_neighbourhood: dict[int, int] = {}
        self.commune_ids: list[int] = []
        self.neighbourhood_ids: list[int] = []
        self.neighbourhood_commune: dict[int, int] = {}
        self.body_ids: list[int] = []
        self.project_ids: list[int] = []
        self.open_project_ids: list[int] = []
        self.password_hash = ""

    # --- numbers and randomness ------------------------------------------------------------

    def count(self, number: int) -> int:
        """``number`` at this scale (at least 1)."""
        return max(1, round(number * self.factor))

    def target(self, key: str) -> int:
        return self.count(self.targets[key])

    def spread(self, total: int, buckets: int, cap: int | None = None, skew: float = 1.0):
        """``total`` split over ``buckets`` the way attention is: a few large, a long tail
        (Zipf-like weights, largest first), none above ``cap``."""
        if buckets <= 0:
            return []
        weights = [1 / (i + 1) ** skew for i in range(buckets)]
        whole = sum(weights)
        counts = [int(total * w / whole) for w in weights]
        if cap is not None:
            counts = [min(c, cap) for c in counts]
        left = total - sum(counts)
        while left > 0:
            open_slots = [i for i in range(buckets) if cap is None or counts[i] < cap]
            if not open_slots:
                break
            share = -(-left // len(open_slots))
            for i in open_slots:
                extra = min(share, left, cap - counts[i] if cap is not None else share)
                counts[i] += extra
                left -= extra
                if not left:
                    break
        return counts

    def moment(self, days_back: int, days_forward: int = 0) -> datetime:
        """A random moment between ``days_back`` days ago and ``days_forward`` days ahead."""
        seconds = self.rng.randint(-days_back * 86400, days_forward * 86400)
        return self.now + timedelta(seconds=seconds)

    def person_name(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"

    def place(self) -> str:
        return self.rng.choice(_PLACES)

    def topic(self) -> str:
        return self.rng.choice(_TOPICS)

    @staticmethod
    def uuid() -> str:
        return str(uuid.uuid4())

    # --- writing ---------------------------------------------------------------------------

    def next_id(self, model, column: str = "id") -> int:
        table = getattr(model, "__table__", model)
        self._explicit_ids.add(table.name)
        return (db.session.scalar(select(func.max(table.c[column]))) or 0) + 1

    def insert(self, model, rows: Iterable[dict]) -> int:
        """Write ``rows`` (dicts with the same keys) and commit.

        Straight to the driver: ``executemany`` in batches of :data:`BATCH` on SQLite,
        ``COPY`` on PostgreSQL; values go through each column's own conversion and omitted
        columns get their model default, as an ORM insert would."""
        table = getattr(model, "__table__", model)
        iterator: Iterator[dict] = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        connection = db.session.connection()
        dialect = connection.dialect
        keys = list(first)
        defaults = []
        for column in table.columns:
            if column.key in keys or column.default is None:
                continue
            default = column.default
            if default.is_scalar:
                defaults.append((column.key, lambda arg=default.arg: arg))
            elif default.is_callable:
                defaults.append((column.key, lambda arg=default.arg: arg(None)))
        names = keys + [name for name, _ in defaults]
        processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]

        def values(row: dict) -> tuple:
            raw = [row[key] for key in keys] + [make() for _, make in defaults]
            return tuple(
                value if process is None or value is None else process(value)
                for value, process in zip(raw, processors, strict=True)
            )

        columns = ", ".join(f'"{name}"' for name in names)
        cursor = connection.connection.driver_connection.cursor()
        written = 0
        stream = (values(row) for row in _chain(first, iterator))
        if dialect.name == "postgresql":
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for record in stream:
                    copy.write_row(record)
                    written += 1
        else:
            # Random keys (user ids, uuids) land all over the indexes: keep them in memory
            # until the commit instead of SQLite's 2 MB default cache (a tenfold difference).
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            marks = ", ".join("?" for _ in names)
            sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'
            while batch := list(islice(stream, BATCH)):
                cursor.executemany(sql, batch)
                written += len(batch)
        cursor.close()
        db.session.commit()
        self.written[table.name] = self.written.get(table.name, 0) + written
        return written

    def say(self, message: str) -> None:
        self.echo(f"[{time.monotonic() - self.started:7.1f} s] {message}")

    # --- shared services --------------------------------------------------------------------

    def add_signatures(self, object_type: str, items: list[dict]) -> list[int]:
        """Signature collections for ``items`` and their signatures, counters equal to rows.

        Each item: ``object_id``, ``title``, ``url``, ``signers`` (how many online
        signatures), and optionally ``offline`` (paper signatures, one batch),
        ``require_verified_resident``, ``accepting``, ``opens_at``, ``closes_at``,
        ``thresholds`` (``(count, action, label)``: fired when the total reaches them).
        Returns the collection ids, in the order of ``items``.
        """
        from .signatures.models import (
            OfflineSignatureBatch,
            Signature,
            SignatureCollection,
            SignatureThreshold,
        )

        first = self.next_id(SignatureCollection)
        ids = list(range(first, first + len(items)))
        collections, thresholds, batches = [], [], []
        for collection_id, item in zip(ids, items, strict=True):
            opens_at = item.get("opens_at") or self.moment(120, -1)
            total = item["signers"] + item.get("offline", 0)
            collections.append(
                {
                    "id": collection_id,
                    "object_type": object_type,
                    "object_id": item["object_id"],
                    "title": item["title"],
                    "url": item["url"],
                    "require_confirmed_email": True,
                    "require_verified_resident": item.get("require_verified_resident", False),
                    "minimum_age": None,
                    "accepting": item.get("accepting", True),
                    "opens_at": opens_at,
                    "closes_at": item.get("closes_at"),
                    "online_count": item["signers"],
                    "offline_count": item.get("offline", 0),
                    "created_at": opens_at,
                }
            )
            for count, action, label in item.get("thresholds", ()):
                thresholds.append(
                    {
                        "collection_id": collection_id,
                        "count": int(count),
                        "action": action,
                        "label": str(label),
                        "fired_at": opens_at + timedelta(days=7) if total >= count else None,
                    }
                )
            if item.get("offline"):
                batches.append(
                    {
                        "collection_id": collection_id,
                        "count": item["offline"],
                        "note": "Feuilles papier recueillies au marché",
                        "neighbourhood_id": None,
                        "entered_by_id": self.rng.choice(self.staff_ids)
                        if self.staff_ids
                        else None,
                        "created_at": opens_at + timedelta(days=3),
                    }
                )
        self.insert(SignatureCollection, collections)
        self.insert(SignatureThreshold, thresholds)
        self.insert(OfflineSignatureBatch, batches)
        first_signature = self.next_id(Signature)

        def signatures():
            next_id = first_signature
            for collection_id, item, row in zip(ids, items, collections, strict=True):
                pool = self.verified_ids if item.get("require_verified_resident") else self.user_ids
                span = max(int((self.now - row["opens_at"]).total_seconds()), 1)
                for user_id in self.rng.sample(pool, min(item["signers"], len(pool))):
                    yield {
                        "id": next_id,
                        "collection_id": collection_id,
                        "user_id": user_id,
                        "created_at": row["opens_at"] + timedelta(seconds=self.rng.randrange(span)),
                        "public_name": self.rng.random() < 0.3,
                        "neighbourhood_id": self.user_neighbourhood.get(user_id),
                        "ip": "",
                        "email_domain": SCALE_DOMAIN,
                        "invalidated_at": None,
                        "invalidation_reason": "",
                    }
                    next_id += 1

        self.insert(Signature, signatures())
        return ids

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids written explicitly."""
        if db.engine.dialect.name != "postgresql":
            return
        for name in sorted(self._explicit_ids):
            db.session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                    f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{name}"), false)'
                ),
                {"table": name},
            )
        db.session.commit()


def _chain(first, rest):
    yield first
    yield from rest


# --- the core's share ------------------------------------------------------------------------


def load_scale(app, name: str = "metropole", factor: float = 1.0, echo=None) -> Scale:
    """Bulk rows on top of the commune demo (already loaded), then each plugin's share."""
    from . import audit
    from .settings import bump_generation

    scale = Scale(app, name, factor, echo=echo)
    _territory(scale)
    _accounts(scale)
    _bodies(scale)
    _projects(scale)
    _contributions(scale)
    _sessions(scale)
    _follows(scale)
    for impl in app.extensions["hub"].plugins.implementations("hub_load_scale_content"):
        scale.say(f"{impl.plugin_name}…")
        impl.function(scale=scale)
        db.session.commit()
    scale.finish()
    audit.record("demo.scaled", object_type="hub", actor=audit.SYSTEM, scale=name, factor=factor)
    bump_generation()
    db.session.commit()
    scale.say(f"done: {sum(scale.written.values()):,} rows")
    return scale


def _territory(scale: Scale) -> None:
    from .territory.models import Commune, Neighbourhood

    existing = db.session.scalar(select(func.count(Commune.id))) or 0
    communes = max(scale.target("communes") - existing, 1)
    first = scale.next_id(Commune)
    ids = list(range(first, first + communes))
    populations = scale.spread(1_150_000, communes, skew=0.9)
    scale.insert(
        Commune,
        (
            {
                "id": commune_id,
                "name": f"{scale.place()}-sur-Orne {i + 1}",
                "insee_code": f"9{(i + 100) % 10000:04d}",
                "population": max(populations[i], 300),
            }
            for i, commune_id in enumerate(ids)
        ),
    )
    scale.commune_ids = ids
    per_commune = scale.spread(scale.target("neighbourhoods"), communes, skew=0.8)
    first = scale.next_id(Neighbourhood)
    rows, next_id = [], first
    for commune_id, count, population in zip(ids, per_commune, populations, strict=True):
        for k in range(max(count, 1)):
            rows.append(
                {
                    "id": next_id,
                    "commune_id": commune_id,
                    "name": f"{scale.place()} {k + 1}",
                    "slug": f"scale-quartier-{next_id}",
                    "population": max(population // max(count, 1), 100),
                }
            )
            scale.neighbourhood_commune[next_id] = commune_id
            next_id += 1
    scale.insert(Neighbourhood, rows)
    scale.neighbourhood_ids = [row["id"] for row in rows]
    scale.say(f"{communes} communes, {len(rows)} neighbourhoods")


def _accounts(scale: Scale) -> None:
    from .accounts.models import User, UserRole
    from .demo import DEMO_PASSWORD
    from .security import hash_password

    scale.password_hash = hash_password(DEMO_PASSWORD)
    accounts = scale.target("accounts")
    first = scale.next_id(User)
    staff = {first + i: ("agent" if i % 4 else "elected") for i in range(scale.count(200))}

    def rows():
        for user_id in range(first, first + accounts):
            neighbourhood_id = scale.rng.choice(scale.neighbourhood_ids)
            created = scale.moment(900, -1)
            verified = user_id not in staff and scale.rng.random() < 0.6
            scale.user_ids.append(user_id)
            scale.user_neighbourhood[user_id] = neighbourhood_id
            if verified:
                scale.verified_ids.append(user_id)
            yield {
                "id": user_id,
                "email": f"habitant{user_id}@{SCALE_DOMAIN}",
                "password_hash": scale.password_hash,
                "display_name": scale.person_name(),
                "full_name": "",
                "neighbourhood_id": neighbourhood_id,
                "locale": "",
                "created_at": created,
                "email_confirmed_at": created,
                "residence_verified_at": created if verified else None,
                "residence_method": "desk" if verified else "",
                "session_version": 1,
            }

    scale.insert(User, rows())
    scale.insert(UserRole, ({"user_id": uid, "role": role} for uid, role in staff.items()))
    scale.staff_ids = list(staff)
    scale.say(f"{accounts:,} accounts ({len(scale.verified_ids):,} verified residents)")


def _bodies(scale: Scale) -> None:
    from .bodies.models import Body, BodyMember, body_neighbourhood
    from .bodies.services import DEFAULT_BODY_TYPES

    count = scale.target("bodies")
    first = scale.next_id(Body)
    bodies, links = [], []
    for body_id in range(first, first + count):
        neighbourhood_id = scale.rng.choice(scale.neighbourhood_ids)
        kind = DEFAULT_BODY_TYPES[body_id % len(DEFAULT_BODY_TYPES)]
        bodies.append(
            {
                "id": body_id,
                "uuid": scale.uuid(),
                "slug": f"scale-instance-{body_id}",
                "name": f"{kind} {scale.place()} {body_id}",
                "type": kind,
                "commune_id": scale.neighbourhood_commune[neighbourhood_id],
                "description": "Instance de démonstration (métropole à l'échelle).",
                "created_at": scale.moment(1500, -200),
            }
        )
        links.append({"body_id": body_id, "neighbourhood_id": neighbourhood_id})
    scale.insert(Body, bodies)
    scale.insert(body_neighbourhood, links)
    roles = ("president", "secretary", "member", "member", "member", "member")
    first_member = scale.next_id(BodyMember)

    def members():
        member_id = first_member
        for body_id in range(first, first + count):
            for role in roles:
                yield {
                    "id": member_id,
                    "body_id": body_id,
                    "user_id": scale.rng.choice(scale.user_ids),
                    "name": scale.person_name(),
                    "role": role,
                    "mandate_start": (scale.now - timedelta(days=400)).date(),
                    "mandate_end": None,
                }
                member_id += 1

    scale.insert(BodyMember, members())
    scale.body_ids = list(range(first, first + count))
    scale.say(f"{count:,} local bodies")


def _projects(scale: Scale) -> None:
    from .projects.models import DOMAINS, Project, Relay, project_neighbourhood

    count = scale.target("projects")
    first = scale.next_id(Project)
    phases = ["contrat"] * 1 + ["strategie"] * 5 + ["instruction"] * 2 + ["avis"] * 2
    domains = list(DOMAINS)
    projects, links, relays = [], [], []
    first_relay = scale.next_id(Relay)
    for project_id in range(first, first + count):
        phase = scale.rng.choice(phases)
        created = scale.moment(900, -30)
        neighbourhood_id = scale.rng.choice(scale.neighbourhood_ids)
        metropolitan = scale.rng.random() < 0.2
        topic = scale.topic()
        projects.append(
            {
                "id": project_id,
                "uuid": scale.uuid(),
                "slug": f"scale-projet-{project_id}",
                "title": f"{topic.capitalize()} à {scale.place()} ({project_id})",
                "summary": f"Concertation sur un projet de {topic}.",
                "level": "metropolitan" if metropolitan else "communal",
                "domain": scale.rng.choice(domains),
                "commune_id": None
                if metropolitan
                else scale.neighbourhood_commune[neighbourhood_id],
                "owner_id": scale.rng.choice(scale.staff_ids),
                "phase": phase,
                "phase_changed_at": created + timedelta(days=20),
                "requires_verified": False,
                "contrat_open": "Le tracé, les aménagements, le calendrier des travaux.",
                "contrat_decides": "Le conseil municipal, après l'avis argumenté.",
                "contrat_published_at": None if phase == "contrat" else created + timedelta(days=5),
                "decision": "Le projet est adopté avec les modifications retenues."
                if phase == "avis"
                else "",
                "decision_published_at": created + timedelta(days=25) if phase == "avis" else None,
                "labelled_at": created + timedelta(days=26) if phase == "avis" else None,
                "created_at": created,
                "origin_name": "",
            }
        )
        links.append({"project_id": project_id, "neighbourhood_id": neighbourhood_id})
        if phase != "contrat":
            scale.open_project_ids.append(project_id)
        if scale.rng.random() < 0.4:
            for body_id in set(scale.rng.sample(scale.body_ids, min(2, len(scale.body_ids)))):
                relays.append(
                    {
                        "id": first_relay + len(relays),
                        "uuid": scale.uuid(),
                        "project_id": project_id,
                        "body_id": body_id,
                        "status": scale.rng.choice(("invited", "accepted", "accepted")),
                        "report_deadline": (created + timedelta(days=60)).date(),
                        "invited_at": created + timedelta(days=6),
                        "residents_reached": scale.rng.randint(0, 80),
                    }
                )
    scale.insert(Project, projects)
    scale.insert(project_neighbourhood, links)
    scale.insert(Relay, relays)
    scale.project_ids = list(range(first, first + count))
    scale.relays = [(r["id"], r["body_id"]) for r in relays]
    scale.say(f"{count:,} projects, {len(relays):,} relays")


def _contributions(scale: Scale) -> None:
    from .contributions.models import Contribution

    total = scale.target("contributions")
    targets = scale.open_project_ids or scale.project_ids
    per_project = scale.spread(total, len(targets), skew=0.9)
    statuses = ("received", "under_study", "retained", "partly_retained", "not_retained")
    first = scale.next_id(Contribution)

    def rows():
        contribution_id = first
        for project_id, count in zip(targets, per_project, strict=True):
            for _ in range(count):
                offline = scale.rng.random() < 0.1
                author = None if offline else scale.rng.choice(scale.user_ids)
                yield {
                    "id": contribution_id,
                    "uuid": scale.uuid(),
                    "target_type": "project",
                    "target_id": project_id,
                    "source_type": "",
                    "source_id": None,
                    "channel": "offline" if offline else "online",
                    "author_id": author,
                    "author_name": scale.person_name() if offline else "",
                    "entered_by_id": scale.rng.choice(scale.staff_ids) if offline else None,
                    "neighbourhood_id": scale.user_neighbourhood.get(author)
                    or scale.rng.choice(scale.neighbourhood_ids),
                    "text": f"Proposition au sujet de {scale.topic()} près de {scale.place()}.",
                    "created_at": scale.moment(600, -1),
                    "status": scale.rng.choice(statuses),
                }
                contribution_id += 1

    written = scale.insert(Contribution, rows())
    scale.say(f"{written:,} contributions")


def _sessions(scale: Scale) -> None:
    from .sessions.models import Meeting, MeetingRegistration, meeting_neighbourhood

    count = scale.target("sessions")
    first = scale.next_id(Meeting)
    meetings, links, upcoming = [], [], []
    relays = getattr(scale, "relays", [])
    for meeting_id in range(first, first + count):
        body_id = scale.rng.choice(scale.body_ids)
        target_type, target_id = "body", body_id
        if relays and meeting_id % 3 == 0:
            target_id, body_id = scale.rng.choice(relays)
            target_type = "relay"
        starts = scale.moment(540, 180).replace(minute=0, second=0)
        future = starts > scale.now
        meetings.append(
            {
                "id": meeting_id,
                "uuid": scale.uuid(),
                "target_type": target_type,
                "target_id": target_id,
                "organiser_type": "body",
                "organiser_id": body_id,
                "title": f"Réunion publique : {scale.topic()}",
                "description": "Séance ouverte à toutes et à tous.",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "online": False,
                "mode": "in_person",
                "place": f"Salle des fêtes, {scale.place()}",
                "capacity": 60,
                "registrations_open": future,
                "attendance_count": None if future else scale.rng.randint(5, 60),
                "minutes": "" if future else "Synthèse des échanges de la séance.",
                "minutes_status": "" if future else "published",
                "minutes_published_at": None if future else starts + timedelta(days=7),
                "created_at": starts - timedelta(days=30),
                "created_by_id": scale.rng.choice(scale.staff_ids),
            }
        )
        links.append(
            {
                "meeting_id": meeting_id,
                "neighbourhood_id": scale.rng.choice(scale.neighbourhood_ids),
            }
        )
        if future:
            upcoming.append(meeting_id)
    scale.insert(Meeting, meetings)
    scale.insert(meeting_neighbourhood, links)
    registrations = scale.target("registrations")
    first_registration = scale.next_id(MeetingRegistration)

    def rows():
        seen = set()
        registration_id = first_registration
        for _ in range(registrations if upcoming else 0):
            pair = (scale.rng.choice(upcoming), scale.rng.choice(scale.user_ids))
            if pair in seen:
                continue
            seen.add(pair)
            yield {
                "id": registration_id,
                "meeting_id": pair[0],
                "user_id": pair[1],
                "status": "registered",
                "channel": "online",
                "created_at": scale.moment(30, -1),
            }
            registration_id += 1

    written = scale.insert(MeetingRegistration, rows())
    scale.say(f"{count:,} sessions, {written:,} registrations")


def _follows(scale: Scale) -> None:
    from .follows.models import Follow

    def rows():
        seen = set()
        for _ in range(scale.target("follows")):
            pair = (scale.rng.choice(scale.user_ids), scale.rng.choice(scale.project_ids))
            if pair not in seen:
                seen.add(pair)
                yield {
                    "user_id": pair[0],
                    "target_type": "project",
                    "target_id": pair[1],
                    "created_at": scale.moment(300, -1),
                }

    written = scale.insert(Follow, rows())
    scale.say(f"{written:,} follows")


def echo(message: str) -> None:
    click.echo(message)
