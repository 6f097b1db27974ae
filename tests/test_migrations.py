"""Migrations: a fresh database migrated to head matches the models, on SQLite and PostgreSQL,
and every history can step back one revision and up again."""

import os
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import TEST_CONFIG
from sqlalchemy import text

from hub import create_app, migrating
from hub.extensions import db


@pytest.fixture
def migrated_app(tmp_path, empty_database_url):
    app = create_app(
        {
            **TEST_CONFIG,
            "INSTANCE_PATH": str(tmp_path / "inst"),
            "DATABASE_URL": empty_database_url,
            "EXTRA_PLUGINS": {"example": "example_plugin.plugin"},
        }
    )
    migrating.upgrade(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _owned_tables(app):
    prefixes = migrating._plugin_prefixes(app)
    owners = {owner for owner, _f, _t in migrating.migration_sources(app)}
    return {t for t in db.metadata.tables if migrating.table_owner(t, prefixes) in owners}


def test_migrated_schema_matches_the_models(migrated_app):
    with migrated_app.app_context():
        tables = _owned_tables(migrated_app)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": lambda obj, name, type_, reflected, compare_to: (
                        (name in tables or name.startswith("alembic_version"))
                        if type_ == "table"
                        else getattr(getattr(obj, "table", None), "name", None) in tables
                        or getattr(obj, "table", None) is None
                    ),
                },
            )
            with warnings.catch_warnings():
                # Reflection skips indexes on expressions; test_expression_indexes_are_migrated
                # checks those by name.
                warnings.filterwarnings(
                    "ignore", "Skipped unsupported reflection of expression-based index"
                )
                warnings.filterwarnings(
                    "ignore", "autogenerate skipping metadata-specified expression-based index"
                )
                diff = compare_metadata(context, db.metadata)
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("alembic"))]
    assert diff == [], "models and migrations differ: run `hub db revision <owner> -m ...`"


def test_expression_indexes_are_migrated(migrated_app):
    """Indexes on expressions (which the comparison above cannot reflect) exist after the
    migrations, by name."""
    from sqlalchemy import Index

    expected = {
        index.name
        for table in db.metadata.tables.values()
        for index in table.indexes
        if isinstance(index, Index) and any(not hasattr(e, "table") for e in index.expressions)
    }
    assert "ix_petitions_petition_listing" in expected
    with migrated_app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
        else:
            names = conn.execute(text("SELECT indexname FROM pg_indexes"))
        present = {row[0] for row in names}
    assert expected <= present, f"indexes missing after the migrations: {expected - present}"


def test_upgrade_from_the_previous_core_revision(migrated_app):
    """Plugins (whose tables may reference core tables) go back to base, the core one revision
    back, then ``hub db upgrade`` brings everything to head again."""
    sources = migrating.migration_sources(migrated_app)
    for owner, _folder, _table in reversed(sources):
        migrating.downgrade(migrated_app, owner, "base" if owner != "core" else "-1")
    migrating.upgrade(migrated_app)
    with migrated_app.app_context():
        from hub.accounts.models import User

        assert db.session.query(User).count() == 0


def test_core_history_has_a_single_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrating.CORE_MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


PREVIOUS_CORE = "31c3a61f9f4e"  # before participable objects


def _core_config(app):
    return migrating._config(app, "core", migrating.CORE_MIGRATIONS, "alembic_version")


def _seed_previous_schema(conn):
    """Rows as the hub wrote them before the redesign: a relayed project with an answered
    relay contribution and an online one, a follower, relay and council sessions."""
    now = "2026-11-01 10:00:00"
    statements = [
        "INSERT INTO commune (id, name, insee_code, population) VALUES (1, 'Ormeval', '99001', 100)",
        "INSERT INTO neighbourhood (id, commune_id, name, slug) VALUES (1, 1, 'Bellevue', 'bellevue')",
        f"""INSERT INTO "user" (id, email, display_name, full_name, locale, created_at,
            residence_method, session_version) VALUES (1, 'a@example.org', 'A', '', '', '{now}', '', 1),
            (2, 'b@example.org', 'B', '', '', '{now}', '', 1)""",
        f"""INSERT INTO body (id, slug, name, type, description, contact_email, contact_info,
            meeting_cadence, website, created_at) VALUES
            (7, 'cq', 'Conseil de quartier', 'Conseil de quartier', '', '', '', '', '', '{now}')""",
        f"""INSERT INTO project (id, slug, title, summary, level, domain, phase, phase_changed_at,
            requires_verified, contrat_open, contrat_closed, contrat_decides, contrat_use,
            contrat_calendar, contrat_means, decision, created_at) VALUES
            (5, 'tram', 'Tram', '', 'metropolitan', 'mobility', 'instruction', '{now}', false,
             '', '', '', '', '', '', '', '{now}')""",
        f"""INSERT INTO project_relay (id, project_id, body_id, status, message, report_deadline,
            invited_at, decline_reason, residents_reached, report) VALUES
            (3, 5, 7, 'accepted', '', '2026-12-01', '{now}', '', 40, '')""",
        f"""INSERT INTO project_answer (id, project_id, text, author_id, created_at) VALUES
            (11, 5, 'Retenu : un arrêt devant la maison de santé.', 1, '{now}')""",
        f"""INSERT INTO project_contribution (id, project_id, author_id, author_name, channel,
            relay_id, entered_by_id, neighbourhood_id, text, created_at, status, answer_id,
            answered_at) VALUES
            (21, 5, NULL, 'Riverains', 'relay', 3, 2, 1, 'Un arrêt rue des Lilas', '{now}',
             'retained', 11, '{now}'),
            (22, 5, 1, '', 'online', NULL, NULL, NULL, 'Des abris', '{now}', 'received', NULL, NULL)""",
        f"INSERT INTO project_follow (project_id, user_id, created_at) VALUES (5, 2, '{now}')",
        "INSERT INTO project_neighbourhood (project_id, neighbourhood_id) VALUES (5, 1)",
        f"""INSERT INTO meeting (id, kind, context_type, context_id, project_id, body_id, title,
            description, starts_at, online, place, online_url, accessibility, registrations_open,
            minutes, created_at, minutes_objectives, minutes_method, minutes_next_agenda,
            cancel_reason) VALUES
            (31, 'relay', 'relay', 3, 5, 7, 'Café-projet', '', '{now}', false, 'Salle', '', '',
             false, '', '{now}', '', '', '', ''),
            (32, 'council', 'council_municipal', NULL, NULL, NULL, 'Conseil', '', '{now}', false,
             '', '', '', false, '', '{now}', '', '', '', '')""",
    ]
    for statement in statements:
        conn.execute(text(statement))
    conn.execute(
        text(
            f"INSERT INTO meeting_registration (meeting_id, user_id, created_at) "
            f"VALUES (31, 1, '{now}')"
        )
    )


def test_upgrade_from_the_previous_revision_keeps_every_row(tmp_path, empty_database_url):
    """The redesign's migration carries existing data over, ids kept, and back on downgrade."""
    from alembic import command

    app = create_app(
        {**TEST_CONFIG, "INSTANCE_PATH": str(tmp_path / "inst"), "DATABASE_URL": empty_database_url}
    )
    with app.app_context():
        command.upgrade(_core_config(app), PREVIOUS_CORE)
        with db.engine.begin() as conn:
            _seed_previous_schema(conn)
    migrating.upgrade(app)
    with app.app_context(), db.engine.connect() as conn:
        contributions = {
            row.id: row for row in conn.execute(text("SELECT * FROM contribution ORDER BY id"))
        }
        assert set(contributions) == {21, 22}
        relayed = contributions[21]
        assert (relayed.target_type, relayed.target_id) == ("project", 5)
        assert (relayed.source_type, relayed.source_id, relayed.channel) == ("relay", 3, "relay")
        assert (relayed.answer_id, relayed.entered_by_id, relayed.status) == (11, 2, "retained")
        assert (contributions[22].source_type, contributions[22].source_id) == ("", None)
        answer = conn.execute(text("SELECT * FROM answer")).one()
        assert (answer.id, answer.target_type, answer.target_id, answer.outcome) == (
            11,
            "project",
            5,
            "retained",
        )
        assert conn.execute(text("SELECT user_id, target_type, target_id FROM follow")).all() == [
            (2, "project", 5)
        ]
        sessions = {row.id: row for row in conn.execute(text("SELECT * FROM meeting"))}
        assert (sessions[31].target_type, sessions[31].target_id) == ("relay", 3)
        assert (sessions[31].organiser_type, sessions[31].organiser_id) == ("body", 7)
        assert (sessions[32].target_type, sessions[32].target_id) == ("council_municipal", None)
        # Rebuilding a table on SQLite must not cascade-delete what refers to it.
        assert conn.execute(text("SELECT COUNT(*) FROM project_relay")).scalar() == 1
        assert conn.execute(text("SELECT COUNT(*) FROM project_neighbourhood")).scalar() == 1
        assert conn.execute(text("SELECT COUNT(*) FROM meeting_registration")).scalar() == 1
        uuids = [
            row[0]
            for table in ("project", "project_relay", "body", "meeting", "contribution", "answer")
            for row in conn.execute(text(f"SELECT uuid FROM {table}"))
        ]
        assert len(uuids) == len(set(uuids)) == 8 and all(len(u) == 36 for u in uuids)
    # New rows get ids after the copied ones.
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO answer (uuid, target_type, target_id, text, outcome, created_at) "
                "VALUES ('00000000-0000-4000-8000-000000000000', 'project', 5, 'x', '', "
                "'2026-11-02 10:00:00')"
            )
        )
        assert conn.execute(text("SELECT MAX(id) FROM answer")).scalar() == 12

    for owner, _folder, _table in reversed(migrating.migration_sources(app)):
        if owner != "core":
            migrating.downgrade(app, owner, "base")
    migrating.downgrade(app, "core", PREVIOUS_CORE)
    with app.app_context(), db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, project_id, relay_id, answer_id FROM project_contribution ORDER BY id")
        ).all()
        assert rows == [(21, 5, 3, 11), (22, 5, None, None)]
        assert conn.execute(
            text("SELECT context_type, context_id, project_id, body_id FROM meeting WHERE id = 31")
        ).one() == ("relay", 3, 5, 7)
        assert conn.execute(text("SELECT COUNT(*) FROM project_follow")).scalar() == 1
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_census_imported_before_the_key_is_rekeyed_by_the_migration(tmp_path, empty_database_url):
    """An instance upgraded from the salted hashes: the migration wraps them with the key,
    and residents on that list still verify themselves online."""
    import hashlib
    import hmac
    from datetime import date

    from alembic import command
    from sqlalchemy import select

    from hub.residence.models import CensusEntry

    app = create_app(
        {**TEST_CONFIG, "INSTANCE_PATH": str(tmp_path / "inst"), "DATABASE_URL": empty_database_url}
    )
    salt = os.urandom(16).hex()
    legacy = hmac.new(salt.encode(), b"DUBOIS|CLAIRE|1985-03-12", hashlib.sha256).hexdigest()
    with app.app_context():
        command.upgrade(_core_config(app), "d41c7e2a9b10")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO census_import (id, created_at, salt, entry_count, skipped_count)"
                    " VALUES (1, '2026-01-01 00:00:00', :salt, 1, 0)"
                ),
                {"salt": salt},
            )
            conn.execute(
                text("INSERT INTO census_entry (import_id, key_hash) VALUES (1, :h)"),
                {"h": legacy},
            )
    migrating.upgrade(app)
    with app.app_context():
        from hub.residence import services

        stored = db.session.scalar(select(CensusEntry.key_hash))
        assert stored != legacy  # the salt in the database no longer finds it
        assert services.census_usable()
        assert services.census_matches("Dubois", "Claire", date(1985, 3, 12))
        assert not services.census_matches("Dubois", "Claire", date(1985, 3, 13))
        db.session.remove()
        db.engine.dispose()


def test_verifications_made_before_claims_are_linked_to_their_census_entry(
    tmp_path, empty_database_url
):
    """Online verifications made before census claims claimed no entry (issue 11, item 1):
    the upgrade links each one whose name and birth date tell its entry, puts an entry used
    again since then on the desk, and the entries it could not link still verify nobody else
    without an agent."""
    from datetime import date, datetime

    from alembic import command
    from sqlalchemy import select

    from hub.accounts.models import User
    from hub.residence import services
    from hub.residence.models import CensusClaim, ResidenceReview

    app = create_app(
        {**TEST_CONFIG, "INSTANCE_PATH": str(tmp_path / "inst"), "DATABASE_URL": empty_database_url}
    )
    people = {
        "claire": ("Dubois", "Claire", date(1985, 3, 12)),
        "karim": ("Haddad", "Karim", date(1979, 11, 2)),
        "lea": ("Martin", "Léa", date(1990, 1, 1)),
        "jean": ("Le Goff", "Jean Pierre", date(1960, 6, 6)),
    }
    with app.app_context():
        command.upgrade(_core_config(app), "8d2e4f6a1b37")
        key = app.config["CENSUS_KEY"]
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO census_import (id, created_at, salt, key_id, entry_count,"
                    " skipped_count) VALUES (1, '2026-01-01 00:00:00', '', :kid, 4, 0)"
                ),
                {"kid": services.census_key_id(key)},
            )
            for last, first, birth in people.values():
                conn.execute(
                    text("INSERT INTO census_entry (import_id, key_hash) VALUES (1, :h)"),
                    {"h": services.key_hash(key, services.matching_key(last, first, birth))},
                )
            verified = datetime(2026, 6, 1)
            accounts = {
                # full name and birth date: what the self-check left before claims existed
                "claire": ("Claire Dubois", people["claire"][2]),  # the name the check wrote
                "karim": ("HADDAD Karim", people["karim"][2]),  # typed, the other order
                "later": ("Karim H.", people["karim"][2]),  # claimed Karim's entry since
                "lea": ("Mme L. M.", people["lea"][2]),  # the name tells nothing
                "jean": ("Jean Pierre Le Goff", people["jean"][2]),  # several words each side
            }
            ids = {}
            for who, (full_name, birth) in accounts.items():
                ids[who] = conn.execute(
                    text(
                        'INSERT INTO "user" (email, display_name, full_name, locale,'
                        " created_at, residence_method, residence_verified_at, birth_date,"
                        " session_version) VALUES (:email, :name, :full, '', :at,"
                        " 'census', :at, :birth, 1) RETURNING id"
                    ),
                    {
                        "email": f"{who}@example.org",
                        "name": who,
                        "full": full_name,
                        "at": verified,
                        "birth": birth,
                    },
                ).scalar()
            karim_claim = services.key_hash(key, "claim|" + services.matching_key(*people["karim"]))
            conn.execute(
                text(
                    "INSERT INTO census_claim (claim_hash, user_id, created_at)"
                    " VALUES (:h, :later, '2026-11-30 16:00:00')"
                ),
                {"h": karim_claim, "later": ids["later"]},
            )
    migrating.upgrade(app)
    with app.app_context():
        claims = dict(db.session.execute(select(CensusClaim.user_id, CensusClaim.claim_hash)).all())

        def claim_of(person):
            return services.key_hash(key, "claim|" + services.matching_key(*people[person]))

        assert claims == {
            ids["claire"]: claim_of("claire"),
            ids["later"]: claim_of("karim"),
            ids["jean"]: claim_of("jean"),
        }
        review = db.session.scalar(select(ResidenceReview))
        assert (review.user_id, review.other_user_id, review.resolved_at) == (
            ids["later"],
            ids["karim"],
            None,
        )

        def newcomer(email, person):
            user = User(email=email, display_name=email, full_name="", locale="")
            db.session.add(user)
            db.session.commit()
            with app.test_request_context():
                outcome = services.self_verify(user, *people[person]).outcome
            db.session.commit()
            return outcome, user.residence_verified

        # The linked entry and the undetermined one both wait for an agent; a fresh one verifies.
        assert newcomer("copie@example.org", "claire") == ("review", False)
        assert newcomer("lea-bis@example.org", "lea") == ("review", False)
        assert newcomer("jean-bis@example.org", "jean") == ("review", False)
        db.session.remove()
        db.engine.dispose()
