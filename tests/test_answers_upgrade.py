"""The petitions' and interpellations' answers moved to the core answers service: upgrading
from the previous plugin revisions keeps every answer (text, author, date, outcome), and
downgrading puts them back where they were."""

from conftest import TEST_CONFIG
from sqlalchemy import text

from hub import create_app, migrating
from hub.extensions import db

PREVIOUS = {"petitions": "99a38537911d", "interpellation": "56220d43b1de"}
NOW = "2026-11-01 10:00:00"
ANSWER = "La commune installera deux bancs et une fontaine au printemps."


def _seed(conn):
    conn.execute(
        text(
            f"""INSERT INTO "user" (id, email, display_name, full_name, locale, created_at,
            residence_method, session_version) VALUES (1, 'agent@example.org', 'Agent', '', '',
            '{NOW}', '', 1), (2, 'r@example.org', 'R', '', '', '{NOW}', '', 1)"""
        )
    )
    conn.execute(
        text(
            f"""INSERT INTO petitions_petition (id, title, body, addressee, category, author_id,
            status, created_at, rejection_reason, rejection_comment, answer, answered_at,
            answered_by_id) VALUES
            (4, 'Des bancs', 'Texte', 'mayor', '', 2, 'answered', '{NOW}', '', '',
             '{ANSWER}', '2026-11-05 09:00:00', 1),
            (5, 'Un marché', 'Texte', 'mayor', '', 2, 'open', '{NOW}', '', '', '', NULL, NULL)"""
        )
    )
    conn.execute(
        text(
            f"""INSERT INTO interpellation_interpellation (id, title, body, kind, council,
            competence, author_id, stage, created_at, committee_token, inadmissibility_reason,
            threshold_rule, minutes_url, outcome, deliberation, answer, answered_at,
            answered_on, answered_by_id) VALUES
            (8, 'Le pont', 'Texte', 'question', 'municipal', '', 2, 'answered', '{NOW}', 't8',
             '', '', '', 'adopted', '', '{ANSWER}', '2026-11-06 20:00:00', '2026-11-06', 1),
            (9, 'La piscine', 'Texte', 'question', 'municipal', '', 2, 'collecting', '{NOW}',
             't9', '', '', '', '', '', '', NULL, NULL, NULL)"""
        )
    )


def test_upgrade_moves_answers_to_the_core_service_and_back(tmp_path, empty_database_url):
    app = create_app(
        {**TEST_CONFIG, "INSTANCE_PATH": str(tmp_path / "inst"), "DATABASE_URL": empty_database_url}
    )
    migrating.upgrade(app)
    for owner, revision in PREVIOUS.items():
        migrating.downgrade(app, owner, revision)
    with app.app_context(), db.engine.begin() as conn:
        _seed(conn)

    migrating.upgrade(app)
    with app.app_context(), db.engine.connect() as conn:
        answers = {
            row.target_type: row
            for row in conn.execute(text("SELECT * FROM answer ORDER BY id")).all()
        }
        assert set(answers) == {"petition", "interpellation"}
        for target_type, target_id, outcome in (
            ("petition", 4, ""),
            ("interpellation", 8, "adopted"),
        ):
            answer = answers[target_type]
            assert (answer.target_id, answer.text, answer.author_id, answer.outcome) == (
                target_id,
                ANSWER,
                1,
                outcome,
            )
            assert len(answer.uuid) == 36
        assert conn.execute(
            text("SELECT id, answer_id FROM petitions_petition ORDER BY id")
        ).all() == [(4, answers["petition"].id), (5, None)]
        assert conn.execute(
            text("SELECT id, answer_id FROM interpellation_interpellation ORDER BY id")
        ).all() == [(8, answers["interpellation"].id), (9, None)]
        assert str(answers["petition"].created_at).startswith("2026-11-05 09:00")
        # An answer no longer closes a petition: "answered" rows become closed, answer kept.
        assert conn.execute(
            text("SELECT id, status FROM petitions_petition ORDER BY id")
        ).all() == [(4, "closed"), (5, "open")]

    # What residents see after the upgrade: the answer on the petition's page.
    with app.test_client() as client:
        page = client.get("/petitions/4").get_data(as_text=True)
        assert "deux bancs et une fontaine" in page
        page = client.get("/interpellations/8").get_data(as_text=True)
        assert "deux bancs et une fontaine" in page

    for owner, revision in PREVIOUS.items():
        migrating.downgrade(app, owner, revision)
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(
            text("SELECT id, answer, answered_by_id FROM petitions_petition ORDER BY id")
        ).all() == [(4, ANSWER, 1), (5, "", None)]
        assert conn.execute(
            text("SELECT id, status FROM petitions_petition ORDER BY id")
        ).all() == [(4, "answered"), (5, "open")]
        assert conn.execute(
            text("SELECT id, answer, answered_by_id FROM interpellation_interpellation ORDER BY id")
        ).all() == [(8, ANSWER, 1), (9, "", None)]
        assert conn.execute(text("SELECT COUNT(*) FROM answer")).scalar() == 0
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
