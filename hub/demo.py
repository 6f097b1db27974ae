"""Demonstration content: the fictional commune of Ormeval, in the Métropole du Val d'Orne.

Everything here is invented. Accounts share the password ``demo-password``.
"""

from __future__ import annotations

from sqlalchemy import func, select

from . import audit
from .accounts.models import User
from .accounts.services import create_user
from .extensions import db
from .settings import bump_generation
from .territory.models import Commune, Neighbourhood

DEMO_PASSWORD = "demo-password"

NEIGHBOURHOODS = [
    ("Centre historique", "centre-historique"),
    ("Les Tilleuls", "les-tilleuls"),
    ("Bellevue", "bellevue"),
    ("Quai des Tanneurs", "quai-des-tanneurs"),
    ("La Garenne", "la-garenne"),
]

ACCOUNTS = [
    # email, public name, full name, roles, verified resident, neighbourhood index
    ("admin@ormeval.example", "Admin Ormeval", "Camille Admin", ("admin",), False, None),
    ("agent@ormeval.example", "Service Participation", "Nadia Benali", ("agent",), False, None),
    ("elu@ormeval.example", "Jean Morel, adjoint", "Jean Morel", ("elected",), False, None),
    ("moderation@ormeval.example", "Modération", "Luc Perrin", ("moderator",), False, None),
    ("claire@ormeval.example", "Claire", "Claire Dubois", (), True, 0),
    ("karim@ormeval.example", "Karim", "Karim Haddad", (), True, 1),
    ("lea@ormeval.example", "Léa", "Léa Martin", (), True, 2),
    ("paul@ormeval.example", "Paul", "Paul Girard", (), False, 3),
    ("sofia@ormeval.example", "Sofia", "Sofia Costa", (), True, 4),
]


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count(User.id)))


def load_demo(app) -> list[tuple[str, str]]:
    """Create the demo commune, its neighbourhoods and accounts, then each plugin's content."""
    registry = app.extensions["hub"].settings
    registry.set("commune_name", "Ormeval")
    registry.set("metropole_name", "Métropole du Val d'Orne")
    registry.set("population", 48250)
    registry.set("contact_email", "participation@ormeval.example")
    registry.set("intro", (
        "Bienvenue sur la plateforme de participation d'**Ormeval**. Suivez les projets de la "
        "commune et de la métropole, participez aux ateliers de votre quartier, signez des "
        "pétitions et voyez ce qu'est devenue chaque contribution.\n\n"
        "*Ceci est un site de démonstration : la commune et ses habitants sont fictifs.*"))
    commune = Commune(name="Ormeval", insee_code="99001", population=48250)
    db.session.add(commune)
    neighbourhoods = [Neighbourhood(commune=commune, name=n, slug=s) for n, s in NEIGHBOURHOODS]
    db.session.add_all(neighbourhoods)
    db.session.flush()
    created = []
    for email, name, full_name, roles, verified, quarter in ACCOUNTS:
        user = create_user(email, DEMO_PASSWORD, name, roles=roles, confirmed=True,
                           verified_resident=verified)
        user.full_name = full_name
        if quarter is not None:
            user.neighbourhood = neighbourhoods[quarter]
        created.append((email, ", ".join(sorted(user.roles - {"resident"})) or "resident"
                        + (" (verified)" if verified else "")))
    audit.record("demo.loaded", object_type="hub", actor=None)
    bump_generation()
    db.session.commit()
    for _name, _result in app.extensions["hub"].plugins.call_each("hub_load_demo_content",
                                                                   app=app):
        db.session.commit()
    return created
