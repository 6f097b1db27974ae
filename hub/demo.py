"""Demonstration content: the fictional commune of Ormeval, in the Métropole du Val d'Orne
(``hub demo``), or that métropole's own hub (``hub demo --metropole``).

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
    (
        "garant@ormeval.example",
        "Hélène Vidal, garante",
        "Hélène Vidal",
        ("guarantor",),
        False,
        None,
    ),
    ("claire@ormeval.example", "Claire", "Claire Dubois", (), True, 0),
    ("karim@ormeval.example", "Karim", "Karim Haddad", (), True, 1),
    ("lea@ormeval.example", "Léa", "Léa Martin", (), True, 2),
    ("paul@ormeval.example", "Paul", "Paul Girard", (), False, 3),
    ("sofia@ormeval.example", "Sofia", "Sofia Costa", (), True, 4),
]


METROPOLE_COMMUNES = [
    ("Ormeval", "99001", 48250),
    ("Belcourt", "99002", 21400),
    ("Saint-Aubin-sur-Orne", "99003", 9800),
    ("Valmont", "99004", 15300),
]

METROPOLE_ACCOUNTS = [
    ("admin@valdorne.example", "Admin Val d'Orne", "Hugo Admin", ("admin",)),
    ("agent@valdorne.example", "Mission participation", "Inès Laurent", ("agent",)),
    ("elu@valdorne.example", "Vice-présidente participation", "Mireille Roux", ("elected",)),
]


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count(User.id)))


def _load_plugins_demo(app, variant: str) -> None:
    """Each plugin's demonstration content, committed after each. The métropole's demo only
    asks the plugins whose hook takes ``variant`` (the others have a commune's content)."""
    for impl in app.extensions["hub"].plugins.implementations("hub_load_demo_content"):
        takes_variant = "variant" in impl.argnames
        if variant != "commune" and not takes_variant:
            continue
        impl.function(app=app, **({"variant": variant} if takes_variant else {}))
        db.session.commit()


def load_metropole_demo(app) -> list[tuple[str, str]]:
    """The Métropole du Val d'Orne's hub: its member communes, staff accounts and
    metropolitan projects (a hub to pair with the Ormeval demo's)."""
    registry = app.extensions["hub"].settings
    registry.set("commune_name", "Métropole du Val d'Orne")
    registry.set("metropole_name", "")
    registry.set("population", sum(p for _n, _c, p in METROPOLE_COMMUNES))
    registry.set("contact_email", "participation@valdorne.example")
    registry.set(
        "intro",
        (
            "Bienvenue sur la plateforme de participation de la **Métropole du Val d'Orne**. "
            "Les projets métropolitains sont relayés dans les communes par leurs instances "
            "de proximité.\n\n"
            "*Ceci est un site de démonstration : la métropole et ses communes sont fictives.*"
        ),
    )
    db.session.add_all(
        Commune(name=name, insee_code=code, population=population)
        for name, code, population in METROPOLE_COMMUNES
    )
    created = []
    for email, name, full_name, roles in METROPOLE_ACCOUNTS:
        user = create_user(email, DEMO_PASSWORD, name, roles=roles, confirmed=True)
        user.full_name = full_name
        created.append((email, ", ".join(sorted(user.roles - {"resident"}))))
    audit.record("demo.loaded", object_type="hub", actor=audit.SYSTEM, variant="metropole")
    bump_generation()
    db.session.commit()
    _load_plugins_demo(app, "metropole")
    return created


def load_demo(app) -> list[tuple[str, str]]:
    """Create the demo commune, its neighbourhoods and accounts, then each plugin's content.

    The demo's residents are fictitious: the emails its stories would send (confirmations,
    thresholds reached, answers…) are not queued, so the outbox starts empty."""
    from .mail import suppressed

    with suppressed(app):
        return _load_demo(app)


def _load_demo(app) -> list[tuple[str, str]]:
    registry = app.extensions["hub"].settings
    registry.set("commune_name", "Ormeval")
    registry.set("metropole_name", "Métropole du Val d'Orne")
    registry.set("population", 48250)
    registry.set("contact_email", "participation@ormeval.example")
    registry.set(
        "intro",
        (
            "Bienvenue sur la plateforme de participation d'**Ormeval**. Suivez les projets de la "
            "commune et de la métropole, participez aux ateliers de votre quartier, signez des "
            "pétitions et voyez ce qu'est devenue chaque contribution.\n\n"
            "*Ceci est un site de démonstration : la commune et ses habitants sont fictifs.*"
        ),
    )
    commune = Commune(name="Ormeval", insee_code="99001", population=48250)
    db.session.add(commune)
    neighbourhoods = [Neighbourhood(commune=commune, name=n, slug=s) for n, s in NEIGHBOURHOODS]
    db.session.add_all(neighbourhoods)
    db.session.flush()
    created = []
    for email, name, full_name, roles, verified, quarter in ACCOUNTS:
        user = create_user(
            email, DEMO_PASSWORD, name, roles=roles, confirmed=True, verified_resident=verified
        )
        user.full_name = full_name
        if quarter is not None:
            user.neighbourhood = neighbourhoods[quarter]
        created.append(
            (
                email,
                ", ".join(sorted(user.roles - {"resident"}))
                or "resident" + (" (verified)" if verified else ""),
            )
        )
    audit.record("demo.loaded", object_type="hub", actor=audit.SYSTEM)
    bump_generation()
    db.session.commit()
    _load_plugins_demo(app, "commune")
    return created
