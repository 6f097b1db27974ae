"""Who may use each route of the hub: the table behind tests/security/test_authz.py.

Every endpoint of ``app.url_map`` needs an entry in :data:`RULES`; a route without one
fails the test, so a new page cannot ship without someone deciding who may see it.
Add your rules in the section of your feature (see docs/testing.md). An entry is a
:class:`Rule`, or a list of them when the same route must be checked on several objects
(your own draft and someone else's, a body's page and another body's page).

Personas are real accounts of the demo (hub/demo.py) plus a few the world setup adds:

- ``anonymous``: nobody logged in; ``unconfirmed``: an account whose email is not confirmed;
- ``resident``: paul (confirmed, residence not verified); ``verified``: karim (verified, and
  the *other* resident: never the author of the objects rules point to);
- ``author``: claire, the resident who owns the objects rules point to (drafts, tokens...);
- ``body_member``: sofia, a member of the local body rules point to;
- ``agent``, ``elected``, ``moderator``, ``admin``: the demo staff accounts.

What the test expects, for each persona and method of the route:

- a persona in ``allow``: ``ok`` for GET (default 200), ``post_ok`` for POST/PUT/PATCH/DELETE
  (default 200, 302 elsewhere than the login page, 303 or 422: the test posts an empty form
  with a valid CSRF token, so validation usually fails without changing anything). Set
  ``post_probe=False`` on routes whose empty POST would change the demo (toggle a plugin);
  those are then only checked for the personas that must be refused;
- anonymous, not allowed: a redirect to the login page or 401 (always 401 under /api/);
- a logged-in persona not allowed: ``deny`` (default 403; use 404 where the hub hides that
  the object exists);
- ``post_allow``: who may POST when it differs from ``allow`` (a public page with a staff form);
- ``expect={persona: {statuses}}`` overrides any of the above.

Statuses are ints; ``LOGIN`` stands for "a redirect to the login page". Under ``/api/``
personas authenticate with a bearer token (a session cookie must not work there), elsewhere
with the session cookie of a real login.

URL placeholders come from ``values``: a dict, or a function of the :class:`World` (the
demo app with helpers) returning one. Put the objects your rules need on the world with a
``@world_setup`` function (it runs once, inside an app context, after the demo is loaded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LOGIN = "login"  # a redirect (302/303) to the login page

PERSONAS: dict[str, str | None] = {
    "anonymous": None,
    "unconfirmed": "unconfirmed@ormeval.example",
    "resident": "paul@ormeval.example",
    "verified": "karim@ormeval.example",
    "author": "claire@ormeval.example",
    "body_member": "sofia@ormeval.example",
    "agent": "agent@ormeval.example",
    "elected": "elu@ormeval.example",
    "moderator": "moderation@ormeval.example",
    "admin": "admin@ormeval.example",
}

EVERYONE = frozenset(PERSONAS)
LOGGED_IN = EVERYONE - {"anonymous"}
CONFIRMED = LOGGED_IN - {"unconfirmed"}
VERIFIED = frozenset({"verified", "author", "body_member"})
STAFF = frozenset({"agent", "elected", "moderator", "admin"})

DEFAULT_POST_OK = frozenset({200, 302, 303, 422})


@dataclass(frozen=True)
class Rule:
    allow: frozenset[str]
    values: dict | Callable[[World], dict] = field(default_factory=dict)
    ok: frozenset = frozenset({200})
    post_ok: frozenset = DEFAULT_POST_OK
    deny: frozenset = frozenset({403})
    expect: dict = field(default_factory=dict)
    post_probe: bool = True
    post_allow: frozenset | None = None
    note: str = ""

    def allowed(self, persona: str, method: str) -> bool:
        if method != "GET" and self.post_allow is not None:
            return persona in self.post_allow
        return persona in self.allow

    def expected(self, persona: str, method: str, api: bool) -> frozenset:
        if persona in self.expect:
            return frozenset(self.expect[persona])
        if api and persona == "unconfirmed":
            # An unconfirmed account's token acts for nobody: public routes answer it as
            # they answer anyone, the others refuse it (403, "confirm your address").
            if self.allowed("anonymous", method):
                return self.expected("anonymous", method, api)
            return frozenset({403})
        if self.allowed(persona, method):
            return self.ok if method == "GET" else self.post_ok
        if persona == "anonymous":
            return frozenset({401}) if api else frozenset({LOGIN, 401})
        return self.deny


def _legacy_token(user, name: str):
    import secrets

    from hub.accounts.models import ApiToken, hash_token
    from hub.extensions import db

    clear = "hub_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=hash_token(clear), prefix=clear[:10])
    db.session.add(token)
    return token, clear


def _rule(allow, **options) -> Rule:
    for key in ("ok", "post_ok", "deny", "post_allow"):
        if key in options:
            options[key] = frozenset(options[key])
    return Rule(allow=frozenset(allow), **options)


def everyone(**options) -> Rule:
    """Public: every persona gets ``ok``."""
    return _rule(EVERYONE, **options)


def logged_in(**options) -> Rule:
    """Any account, confirmed or not."""
    return _rule(LOGGED_IN, **options)


def confirmed(**options) -> Rule:
    return _rule(CONFIRMED, **options)


def roles(*personas: str, **options) -> Rule:
    """These personas, plus ``admin`` (admins may do everything)."""
    return _rule(set(personas) | {"admin"}, **options)


def only(*personas: str, **options) -> Rule:
    """These personas and nobody else, not even an admin (someone's own object)."""
    return _rule(personas, **options)


def anonymous_page(**options) -> Rule:
    """Pages for visitors not logged in (log in, register): accounts are sent elsewhere."""
    options.setdefault("expect", {}).update(dict.fromkeys(LOGGED_IN, frozenset({302})))
    return everyone(**options)


# --- The world: the demo hub plus the objects rules point to ------------------------------------


class World:
    """The demo app and what ``@world_setup`` functions stored on it (``w.something``)."""

    def __init__(self, app):
        self.app = app

    def user_id(self, persona_or_email: str) -> int:
        from sqlalchemy import select

        from hub.accounts.models import User
        from hub.extensions import db

        email = PERSONAS.get(persona_or_email, persona_or_email)
        with self.app.app_context():
            return db.session.scalar(select(User.id).where(User.email == email))

    def first_id(self, model, *where, order_by=None) -> int:
        """The id of the first ``model`` row matching ``where`` (by id unless ``order_by``)."""
        from sqlalchemy import select

        from hub.extensions import db

        with self.app.app_context():
            stmt = (
                select(model.id)
                .where(*where)
                .order_by(order_by if order_by is not None else model.id)
                .limit(1)
            )
            found = db.session.scalar(stmt)
        assert found is not None, f"no {model.__name__} matches {where} in the demo"
        return found


WORLD_SETUP: list[Callable[[World], None]] = []


def world_setup(function: Callable[[World], None]) -> Callable[[World], None]:
    """Register ``function(world)``: runs once in an app context after the demo is loaded."""
    WORLD_SETUP.append(function)
    return function


@world_setup
def core_world(w: World) -> None:
    from hub.accounts import services
    from hub.accounts.models import ApiToken, User
    from hub.extensions import db

    users = {}
    users["unconfirmed"] = services.create_user(
        PERSONAS["unconfirmed"], "demo-password", "Pas encore confirmé"
    )
    target = services.create_user("cible@ormeval.example", "demo-password", "Cible", confirmed=True)
    pending = services.create_user("en-attente@ormeval.example", "demo-password", "En attente")
    db.session.flush()
    w.target_user_id = target.id  # staff act on this account, never on a persona
    w.confirm_token = services._serializer(services.CONFIRM_SALT).dumps(
        {"id": pending.id, "email": pending.email}
    )
    w.reset_token = services._serializer(services.RESET_SALT).dumps(
        {"id": target.id, "pw": services._password_fingerprint(target)}
    )
    with w.app.test_request_context():
        from hub.notifications.services import unsubscribe_token

        w.unsubscribe_token = unsubscribe_token(target, "project")
    # A bearer token per persona for /api/ routes; the author's is also the one to revoke.
    w.api_tokens = {}
    for persona, email in PERSONAS.items():
        if email:
            user = users.get(persona) or db.session.query(User).filter_by(email=email).one()
            if not user.email_confirmed:
                # No token is issued to an unconfirmed account; one made before that rule
                # (inserted here) must not work either: such a persona gets 403 under /api/.
                token, clear = _legacy_token(user, f"matrice {persona}")
            else:
                token, clear = ApiToken.issue(user, f"matrice {persona}")
            db.session.flush()
            w.api_tokens[persona] = clear
            if persona == "author":
                w.author_token_id = token.id
    uploads = Path(w.app.instance_path) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "affiche.txt").write_text("Affiche du conseil de quartier\n", encoding="utf-8")
    db.session.commit()


@world_setup
def signatures_world(w: World) -> None:
    from hub.extensions import db
    from hub.signatures import services

    collection = services.create_collection("authz_matrix", 1, title="Matrice des droits")
    db.session.flush()
    w.collection_id = collection.id


@world_setup
def body_invitation_world(w: World) -> None:
    """A membership of the first body waiting for paul (the resident) to accept the link."""
    from hub.accounts.models import User
    from hub.bodies.models import Body, BodyMember
    from hub.extensions import db
    from hub.invitations.models import Invitation

    paul = db.session.query(User).filter_by(email=PERSONAS["resident"]).one()
    body = db.session.query(Body).order_by(Body.id).first()
    member = BodyMember(body_id=body.id, name="Paul", role="member")
    db.session.add(member)
    db.session.flush()
    invitation = Invitation(
        target_type="body", target_id=body.id, role="member", ref_id=member.id, user_id=paul.id
    )
    db.session.add(invitation)
    db.session.flush()
    w.invitation_id = invitation.id


@world_setup
def bodies_and_projects_world(w: World) -> None:
    """Two bodies (the body member chairs the first), projects open and under review, a
    contribution of the author, relays of both bodies, a session and a draw."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from hub.accounts.models import User
    from hub.bodies import services as bodies
    from hub.bodies.models import Body, BodyMember
    from hub.contributions.models import Contribution
    from hub.db import utcnow
    from hub.extensions import db
    from hub.projects.models import Project, Relay
    from hub.sessions.services import create_session

    def user(persona):
        return db.session.scalar(select(User).where(User.email == PERSONAS[persona]))

    own = Body(
        slug="matrice-conseil", name="Conseil de quartier de la matrice", type="Conseil de quartier"
    )
    own.members.append(BodyMember(user_id=user("body_member").id, name="Sofia", role="president"))
    own.members.append(BodyMember(name="Membre sortant", role="member"))
    other = Body(slug="matrice-autre", name="Conseil citoyen voisin", type="Conseil citoyen")
    db.session.add_all([own, other])
    now = utcnow()
    open_project = Project(
        slug="matrice-ouvert",
        title="Projet ouvert de la matrice",
        level="commune",
        domain="mobilite",
        phase="strategie",
        contrat_published_at=now,
    )
    review = Project(
        slug="matrice-instruction",
        title="Projet en instruction de la matrice",
        level="commune",
        domain="mobilite",
        phase="instruction",
        contrat_published_at=now,
    )
    # Its contract written, not yet published: the confirmation of its publication shows.
    preparing = Project(
        slug="matrice-contrat",
        title="Projet en préparation de la matrice",
        level="commune",
        domain="mobilite",
        phase="contrat",
        **{
            name: "Rédigé pour la matrice des droits."
            for name in (
                "contrat_open",
                "contrat_closed",
                "contrat_decides",
                "contrat_use",
                "contrat_calendar",
            )
        },
    )
    db.session.add_all([open_project, review, preparing])
    db.session.flush()
    contribution = Contribution(
        target_type="project",
        target_id=open_project.id,
        author_id=user("author").id,
        channel="online",
        text="Des arceaux à vélos, s'il vous plaît.",
    )
    deadline = date.today() + timedelta(days=30)
    own_relay = Relay(
        project_id=open_project.id, body_id=own.id, status="accepted", report_deadline=deadline
    )
    other_relay = Relay(
        project_id=open_project.id, body_id=other.id, status="accepted", report_deadline=deadline
    )
    db.session.add_all([contribution, own_relay, other_relay])
    db.session.flush()
    meeting = create_session(
        title="Atelier de la matrice", starts_at=now + timedelta(days=7), target=open_project
    )
    meeting.registrations_open = True
    relay_meeting = create_session(
        title="Café-projet de la matrice",
        starts_at=now + timedelta(days=9),
        target=own_relay,
        organiser=own,
    )
    draw = bodies.announce_draw(
        own,
        title="Tirage de la matrice",
        register_text="numero;nom\n1;A\n2;B\n3;C\n",
        key_column="numero",
        name_column="nom",
        quota_column="",
        quotas={},
        seats=1,
        seed_source="Loto du samedi",
        seed_count=6,
        not_before=now + timedelta(days=2),
        actor=user("agent"),
    )
    db.session.flush()
    w.body_id, w.other_body_id = own.id, other.id
    w.leaving_member_id = own.members[1].id
    w.other_member_id = (
        db.session.scalar(select(BodyMember.id).where(BodyMember.body_id == other.id))
        or w.leaving_member_id
    )
    w.project_id, w.review_project_id = open_project.id, review.id
    w.preparing_project_id = preparing.id
    from hub.answers.models import Answer

    answered = Answer(
        target_type="project",
        target_id=review.id,
        text="Retenue : des arceaux seront posés devant la médiathèque.",
        outcome="retained",
        author_id=user("agent").id,
    )
    db.session.add(answered)
    db.session.flush()
    w.answer_id = answered.id
    w.project_uuid = open_project.uuid
    w.contribution_id = contribution.id
    w.relay_id, w.other_relay_id = own_relay.id, other_relay.id
    w.meeting_id, w.draw_id = meeting.id, draw.id
    w.relay_meeting_id = relay_meeting.id


@world_setup
def cover_image_world(w: World) -> None:
    import io

    from PIL import Image as PILImage

    from hub.extensions import db
    from hub.images.services import store_image

    buffer = io.BytesIO()
    PILImage.new("RGB", (640, 360), (40, 110, 90)).save(buffer, "PNG")
    w.image_token = store_image(buffer.getvalue(), "Plan du quartier").token
    from hub.timeutil import local_today

    w.this_year = local_today().year
    db.session.commit()


# --- The rules -----------------------------------------------------------------------------------

RULES: dict[str, Rule | list[Rule]] = {
    # Static files and pages anyone may see.
    "static": everyone(values={"filename": "hub.css"}),
    "main.theme_static": everyone(values={"filename": "theme.css"}),
    "main.plugin_static": everyone(
        values={"name": "no-such-plugin", "filename": "x.css"},
        ok={404},
        note="unknown plugin: 404 for everyone",
    ),
    "main.uploads": everyone(values={"filename": "affiche.txt"}),
    "main.home": everyone(),
    "main.health": everyone(),
    "main.set_language": everyone(values={"code": "fr"}, ok={302}),
    "api.index": everyone(),
    "api.openapi": everyone(),
    "api.me": logged_in(),
    # Accounts.
    "accounts.register": anonymous_page(),
    "accounts.login": anonymous_page(),
    "accounts.forgot_password": everyone(),
    "accounts.reset_password": everyone(values=lambda w: {"token": w.reset_token}),
    "accounts.confirm_email": everyone(values=lambda w: {"token": w.confirm_token}),
    "accounts.resend_confirmation": logged_in(),
    # Logging out ends every session of the account (tests/test_accounts_security.py): a
    # probe would log the persona out of the rest of the matrix.
    "accounts.logout": everyone(ok={302}, post_ok={302}, post_probe=False),
    "main.dashboard": logged_in(),
    "main.staff": roles("agent", "elected", "moderator"),
    "main.search": everyone(values={"q": "tram"}),
    "main.sitemap": everyone(),
    "main.open_data": everyone(),
    "legal.accessibility": everyone(),
    "legal.legal_notice": everyone(),
    "legal.terms": everyone(),
    "legal.privacy": everyone(),
    "report.index": everyone(),
    "report.show": everyone(values=lambda w: {"year": w.this_year}),
    "report.data": everyone(values=lambda w: {"year": w.this_year}),
    # Cover images are public files behind an unguessable token (a draft's too: not listed).
    "images.show": everyone(values=lambda w: {"token": w.image_token, "width": 320}),
    "main.canonical": everyone(values=lambda w: {"uuid": w.project_uuid}, ok={301}),
    "accounts.profile": logged_in(),
    "accounts.change_password": logged_in(),
    "accounts.download_data": logged_in(),
    "accounts.delete_account": logged_in(),
    "accounts.tokens": logged_in(),
    "accounts.revoke_token": [
        only(
            "author",
            values=lambda w: {"token_id": w.author_token_id},
            deny={404},
            note="someone else's token: 404, even for an admin",
        ),
    ],
    # Residence.
    "residence.self_check": logged_in(),
    "residence.desk": roles("agent"),
    "residence.import_census": roles("agent"),
    "residence.verify_user": roles("agent", values=lambda w: {"user_id": w.target_user_id}),
    "residence.revoke": roles("agent", values=lambda w: {"user_id": w.target_user_id}),
    "residence.correct_birth_date": roles("agent", values=lambda w: {"user_id": w.target_user_id}),
    "residence.dismiss_review": roles("agent", values=lambda w: {"user_id": w.target_user_id}),
    # Administration.
    "admin.index": roles(),
    "admin.settings": [
        roles(post_probe=False, note="an empty form would blank the settings"),
        roles(
            values={"section": "legal"},
            post_probe=False,
            note="the legal pages and the accessibility statement",
        ),
    ],
    "admin.users": roles(),
    "admin.user_detail": roles(values=lambda w: {"user_id": w.target_user_id}),
    "admin.plugins": roles(),
    "admin.toggle_plugin": roles(
        values={"name": "participatory_budget", "action": "disable"},
        post_probe=False,
        note="would switch a plugin off",
    ),
    "admin.audit_log": roles(),
    # Signature service (staff pages; signing itself belongs to each plugin's pages).
    "signatures.moderation_index": roles("moderator"),
    "signatures.moderation": roles(
        "moderator", values=lambda w: {"collection_id": w.collection_id}
    ),
    "signatures.offline": roles("agent", values=lambda w: {"collection_id": w.collection_id}),
    "signatures.signers_csv": roles(
        "agent", "elected", values=lambda w: {"collection_id": w.collection_id}
    ),
    # A signer withdraws their own signature or hides their name (nobody else's: the
    # service only ever touches the logged-in account's signature).
    "signatures.withdraw": logged_in(
        values=lambda w: {"collection_id": w.collection_id},
        post_probe=False,
        note="would withdraw a demo signature",
    ),
    "signatures.public_name": logged_in(
        values=lambda w: {"collection_id": w.collection_id},
        post_probe=False,
        note="would hide a demo signer's name",
    ),
    # Territory, agenda, sessions, notifications.
    "territory.index": everyone(),
    "territory.geojson": everyone(),
    "territory.neighbourhood": everyone(values={"slug": "centre-historique"}),
    # The OParl 1.1 export: public, read-only JSON.
    "oparl.system": everyone(),
    "oparl.bodies": everyone(),
    "oparl.body": everyone(values={"body_key": "hub"}),
    "oparl.body_list": everyone(values={"body_key": "hub", "name": "paper"}),
    "oparl.entry": everyone(
        values={"kind": "paper", "key": "no-such-paper"},
        ok={404},
        note="public JSON; an object never exported: 404 for everyone",
    ),
    "agenda.index": everyone(),
    "agenda.feed": everyone(),
    "bodies.agenda_feed": everyone(values=lambda w: {"body_id": w.body_id}),
    "projects.agenda_feed": everyone(values=lambda w: {"project_id": w.project_id}),
    "sessions.show": everyone(values=lambda w: {"meeting_id": w.meeting_id}),
    "sessions.register": logged_in(
        values=lambda w: {"meeting_id": w.meeting_id},
        expect={"unconfirmed": {403}},
        note="an unconfirmed email cannot register",
    ),
    "sessions.unregister": logged_in(values=lambda w: {"meeting_id": w.meeting_id}),
    **{
        f"sessions.{page}": [
            roles("agent", "body_member", values=lambda w: {"meeting_id": w.relay_meeting_id}),
            roles(
                "agent",
                values=lambda w: {"meeting_id": w.meeting_id},
                note="a session no body organises: staff only",
            ),
        ]
        for page in ("edit", "cancel", "attendance", "minutes")
    },
    "territory.manage": roles("agent"),
    "territory.edit_commune": [roles("agent"), roles("agent", values={"commune_id": 1})],
    "territory.delete_commune": roles(
        "agent",
        values={"commune_id": 1},
        post_ok={409},
        note="the demo commune has neighbourhoods: refused",
    ),
    "territory.edit_neighbourhood": [
        roles("agent"),
        roles("agent", values={"neighbourhood_id": 1}),
    ],
    "territory.delete_neighbourhood": roles("agent", values={"neighbourhood_id": 1}, post_ok={422}),
    "notifications.index": logged_in(),
    "notifications.mark_read": logged_in(),
    "notifications.preferences": logged_in(
        post_ok={302}, note="an empty form changes nothing; back to the page"
    ),
    "main.newsletter": roles(
        "agent", post_ok={422}, note="an empty form is refused; nothing is sent"
    ),
    "notifications.unsubscribe": everyone(
        values=lambda w: {"token": w.unsubscribe_token},
        post_probe=False,
        note="the signed link of an email is the proof: no login (a POST stops emails)",
    ),
    "follows.follow": logged_in(
        values=lambda w: {"object_type": "body", "object_id": w.body_id},
        post_ok={302},
        expect={"unconfirmed": {403}},
        note="POST only; an empty form stops following (nothing to stop)",
    ),
    # Local bodies: public pages; members act on their own body only, agents on all.
    "bodies.index": everyone(),
    "bodies.show": everyone(values=lambda w: {"body_id": w.body_id}),
    "bodies.export_json": everyone(),
    "bodies.export_csv": everyone(),
    "bodies.draw_doc": everyone(),
    "bodies.create": roles("agent"),
    "bodies.edit": [
        roles("agent", "body_member", values=lambda w: {"body_id": w.body_id}),
        roles(
            "agent",
            values=lambda w: {"body_id": w.other_body_id},
            note="another body's page: its members only",
        ),
    ],
    "bodies.queue": [
        roles("agent", "body_member", values=lambda w: {"body_id": w.body_id}),
        roles(
            "agent",
            values=lambda w: {"body_id": w.other_body_id},
            note="another body's work queue: its acting members only",
        ),
    ],
    "invitations.pending": logged_in(),
    "invitations.former_page": everyone(ok={301}),
    "invitations.answer": only(
        "resident",
        values=lambda w: {"invitation_id": w.invitation_id},
        post_ok={302},
        deny={404},
        note="only the account asked answers; an empty answer is sent back to choose",
    ),
    "bodies.members": [
        roles("agent", "body_member", values=lambda w: {"body_id": w.body_id}),
        roles(
            "agent", values=lambda w: {"body_id": w.other_body_id}, note="another body's members"
        ),
    ],
    "bodies.end_member": [
        roles(
            "agent",
            "body_member",
            post_ok={302, 400, 422},
            values=lambda w: {"body_id": w.body_id, "member_id": w.leaving_member_id},
        ),
        roles(
            "agent",
            post_ok={302, 400, 404, 422},
            values=lambda w: {"body_id": w.other_body_id, "member_id": w.other_member_id},
            note="ending a membership of another body",
        ),
    ],
    "bodies.new_draw": roles("agent", values=lambda w: {"body_id": w.body_id}),
    "bodies.draw": everyone(
        values=lambda w: {"body_id": w.body_id, "draw_id": w.draw_id},
        post_allow={"agent", "admin"},
        note="anyone reads, agents draw",
    ),
    "bodies.appoint": roles(
        "agent",
        post_ok={302, 422},
        values=lambda w: {"body_id": w.body_id, "draw_id": w.draw_id},
    ),
    "bodies.draw_inputs": everyone(values=lambda w: {"body_id": w.body_id, "draw_id": w.draw_id}),
    "bodies.verify_json": everyone(values=lambda w: {"body_id": w.body_id, "draw_id": w.draw_id}),
    "bodies_api.index": everyone(),
    "bodies_api.show": everyone(values=lambda w: {"body_id": w.body_id}),
    # Projects: public pages and exports; contributions from confirmed accounts; agents
    # manage; agents and elected officials answer; bodies act on their own relays.
    "projects.index": everyone(),
    "projects.show": everyone(values=lambda w: {"project_id": w.project_id}),
    "projects.export_csv": everyone(),
    "projects.export_all_contributions": everyone(),
    "projects.export_contributions": everyone(values=lambda w: {"project_id": w.project_id}),
    "projects.contribution": everyone(
        values=lambda w: {"project_id": w.project_id, "contribution_id": w.contribution_id},
        ok={302},
    ),
    "projects.contribute": confirmed(values=lambda w: {"project_id": w.project_id}),
    "projects.edit_contribution": only(
        "author",
        values=lambda w: {"project_id": w.project_id, "contribution_id": w.contribution_id},
        note="someone else's contribution, even for an admin",
    ),
    "projects.follow": confirmed(values=lambda w: {"project_id": w.project_id}),
    "projects.create": roles("agent"),
    "projects.edit": roles("agent", values=lambda w: {"project_id": w.project_id}),
    "projects.publish_contrat": roles(
        "agent",
        values=lambda w: {"project_id": w.preparing_project_id},
        post_probe=False,
        note="would publish the contract",
    ),
    "projects.advance_phase": roles(
        "agent",
        values=lambda w: {"project_id": w.project_id},
        post_probe=False,
        note="would close participation",
    ),
    "projects.correct_answer": roles(
        "agent",
        "elected",
        values=lambda w: {"project_id": w.review_project_id, "answer_id": w.answer_id},
        post_probe=False,
        note="would correct a published answer",
    ),
    "projects.documents": roles("agent", values=lambda w: {"project_id": w.project_id}),
    "projects.offline": roles("agent", values=lambda w: {"project_id": w.project_id}),
    "projects.set_status": roles(
        "agent",
        post_ok={302, 422},
        values=lambda w: {"project_id": w.project_id, "contribution_id": w.contribution_id},
    ),
    "projects.invite": roles("agent", values=lambda w: {"project_id": w.project_id}),
    "projects.instruction": roles(
        "agent", "elected", values=lambda w: {"project_id": w.review_project_id}
    ),
    "projects.answer": roles(
        "agent", "elected", values=lambda w: {"project_id": w.review_project_id}
    ),
    "projects.decision": roles(
        "agent", "elected", values=lambda w: {"project_id": w.review_project_id}
    ),
    "projects.relay": everyone(
        values=lambda w: {"project_id": w.project_id, "relay_id": w.relay_id}
    ),
    "projects_api.index": everyone(),
    "projects_api.show": everyone(values=lambda w: {"project_id": w.project_id}),
    "projects.respond": [
        roles(
            "agent",
            "body_member",
            values=lambda w: {"project_id": w.project_id, "relay_id": w.relay_id},
        ),
        roles(
            "agent",
            values=lambda w: {"project_id": w.project_id, "relay_id": w.other_relay_id},
            note="the relay of another body",
        ),
    ],
    "projects.relay_session": [
        roles(
            "agent",
            "body_member",
            values=lambda w: {"project_id": w.project_id, "relay_id": w.relay_id},
        ),
        roles(
            "agent",
            values=lambda w: {"project_id": w.project_id, "relay_id": w.other_relay_id},
            note="the relay of another body",
        ),
    ],
    "projects.relay_report": [
        roles(
            "agent",
            "body_member",
            values=lambda w: {"project_id": w.project_id, "relay_id": w.relay_id},
        ),
        roles(
            "agent",
            values=lambda w: {"project_id": w.project_id, "relay_id": w.other_relay_id},
            note="the relay of another body",
        ),
    ],
    "projects.relay_deadline": roles(
        "agent",
        values=lambda w: {"project_id": w.project_id, "relay_id": w.relay_id},
        note="the project's owner or an agent, not the body",
    ),
    "projects.relay_contribution": [
        roles(
            "agent",
            "body_member",
            values=lambda w: {"project_id": w.project_id, "relay_id": w.relay_id},
        ),
        roles(
            "agent",
            values=lambda w: {"project_id": w.project_id, "relay_id": w.other_relay_id},
            note="the relay of another body",
        ),
    ],
}


# --- Helpers for the tests that walk the rules ----------------------------------------------------

PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def rules_of(endpoint: str) -> list[Rule]:
    rule = RULES[endpoint]
    return rule if isinstance(rule, list) else [rule]


def routes(app):
    """``(url rule, endpoint, methods)`` for every route of the app, sorted by path."""
    found = []
    for url_rule in app.url_map.iter_rules():
        methods = sorted(set(url_rule.methods or ()) & set(PROBED_METHODS))
        found.append((url_rule.rule, url_rule.endpoint, methods))
    return sorted(found)


class Visitor:
    """A persona: its session cookie (restored before each request) or its API token."""

    def __init__(self, app, world, persona: str):
        from conftest import csrf_from

        self.app, self.persona = app, persona
        self.api_token = world.api_tokens.get(persona)
        client = app.test_client()
        login_page = client.get("/login")
        if PERSONAS[persona]:
            response = client.post(
                "/login",
                data={
                    "csrf_token": csrf_from(login_page.get_data(as_text=True)),
                    "email": PERSONAS[persona],
                    "password": "demo-password",
                },
            )
            assert response.status_code == 302, f"{persona} could not log in"
            page = client.get("/me")
            assert page.status_code == 200
            self.csrf = csrf_from(page.get_data(as_text=True))
        else:
            self.csrf = csrf_from(login_page.get_data(as_text=True))
        cookie = client.get_cookie("hub_session")
        self.session_cookie = cookie.value if cookie else None

    def request(self, method: str, url: str):
        client = self.app.test_client()  # a fresh cookie jar: nothing a probe did carries over
        headers = {}
        if url.startswith("/api/"):
            if self.api_token:
                headers["Authorization"] = f"Bearer {self.api_token}"
            response = client.open(
                url, method=method, headers=headers, json={} if method != "GET" else None
            )
        else:
            if self.session_cookie:
                client.set_cookie("hub_session", self.session_cookie)
            data = {"csrf_token": self.csrf} if method != "GET" else None
            response = client.open(url, method=method, data=data)
        response.close()  # file responses hold their file open until closed
        return response


def outcome(response):
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if "/login" in location.split("?", 1)[0]:
            return LOGIN
    return response.status_code


def resolve(app, world, endpoint: str, rule: Rule) -> str:
    from flask import url_for

    values = rule.values(world) if callable(rule.values) else dict(rule.values)
    with app.test_request_context():
        return url_for(endpoint, **values)


# --- Rules that live with their feature ----------------------------------------------------------


def _collect_feature_rules() -> None:
    """Each feature may keep its rules (and ``@world_setup`` functions) beside its code:
    ``plugins/<name>/tests/authz.py`` or ``tests/<feature>/authz.py`` defines ``RULES``, which
    join this table (an endpoint ruled twice is an error)."""
    import importlib.util
    import sys

    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.glob("plugins/*/tests/authz.py")) + sorted(
        root.glob("tests/*/authz.py")
    ):
        name = (
            "authz_rules_of_" + path.parent.parent.name
            if path.parent.name == "tests"
            else "authz_rules_of_" + path.parent.name
        )
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        for endpoint, rule in module.RULES.items():
            if endpoint in RULES:
                raise RuntimeError(f"{path}: {endpoint!r} already has a rule")
            RULES[endpoint] = rule


_collect_feature_rules()
