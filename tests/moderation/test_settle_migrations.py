"""Holds left from before the reviews settled them (issue 17): a text its feature's review
had refused (a petition rejected, an interpellation inadmissible, a budget project refused or
merged) stayed pending in the moderation queue, where approving it published it. Each
plugin's data migration settles those holds as the reviews do now, and keeps every other row
as it was. On SQLite and PostgreSQL (``empty_database_url``)."""

from __future__ import annotations

from conftest import TEST_CONFIG
from sqlalchemy import insert, select, text

from hub import create_app, migrating
from hub.extensions import db

PREVIOUS = {
    "petitions": "d5b2e7a9c3f1",
    "interpellation": "3916a10e2d0d",
    "participatory_budget": "e3b5d7f9a1c2",
}


def _seed():
    """Texts of each feature, refused by their review or not, each with a pending hold, and
    one refused text whose hold a moderator had already decided. Returns
    ``{(type, id): expected (pending, hidden, reason)}``."""
    from hub.accounts.models import User
    from hub.moderation.models import Decision
    from plugins.interpellation.models import Interpellation
    from plugins.participatory_budget.models import BudgetProject, Campaign, District
    from plugins.petitions.models import Petition

    author = User(email="ana@example.org", display_name="Ana")
    db.session.add(author)
    campaign = Campaign(title="Budget 2027", description="")
    db.session.add(campaign)
    db.session.flush()
    # The schema is the previous revision's, the models today's: a table whose model gained
    # a column since (the district's commune) is written with the columns given only.
    district_id = db.session.execute(
        insert(District.__table__)
        .values(campaign_id=campaign.id, name="Commune", envelope=100_000)
        .returning(District.__table__.c.id)
    ).scalar_one()
    texts = {
        ("petition", "rejected"): Petition(
            title="a", body="b", addressee="mayor", status="rejected"
        ),
        ("petition", "moderation"): Petition(
            title="c", body="d", addressee="mayor", status="moderation"
        ),
        ("interpellation", "inadmissible"): Interpellation(
            title="e",
            body="f",
            kind="question",
            council="municipal",
            stage="inadmissible",
            committee_token="t1",
        ),
        ("interpellation", "review"): Interpellation(
            title="g",
            body="h",
            kind="question",
            council="municipal",
            stage="review",
            committee_token="t2",
        ),
    }
    for status in ("out_of_scope", "merged", "submitted", "feasible"):
        texts[("participatory_budget_project", status)] = BudgetProject(
            campaign_id=campaign.id,
            district_id=district_id,
            pabulib_id=status,
            title=status,
            estimated_cost=1000,
            status=status,
        )
    db.session.add_all(texts.values())
    db.session.flush()
    expected = {}
    for (target_type, state), row in texts.items():
        refused = state in ("rejected", "inadmissible", "out_of_scope", "merged")
        db.session.add(
            Decision(
                target_type=target_type,
                target_id=row.id,
                hidden=True,
                pending=True,
                reason="",
                author_id=author.id,
            )
        )
        expected[(target_type, row.id)] = (False, True, "") if refused else (True, True, "")
    # Already decided by a moderator before the review refused it: left alone.
    hidden = Petition(title="i", body="j", addressee="mayor", status="rejected")
    db.session.add(hidden)
    db.session.flush()
    db.session.add(
        Decision(
            target_type="petition",
            target_id=hidden.id,
            hidden=True,
            pending=False,
            reason="Propos injurieux",
            author_id=author.id,
        )
    )
    expected[("petition", hidden.id)] = (False, True, "Propos injurieux")
    db.session.commit()
    return expected


def _counts(conn) -> dict:
    tables = (
        "user",
        "moderation_decision",
        "petitions_petition",
        "interpellation_interpellation",
        "participatory_budget_project",
    )
    return {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar() for t in tables}


def test_holds_of_texts_their_review_refused_are_settled_by_the_upgrade(
    tmp_path, empty_database_url
):
    from hub.moderation import services as moderation
    from hub.moderation.models import Decision

    app = create_app(
        {**TEST_CONFIG, "INSTANCE_PATH": str(tmp_path / "inst"), "DATABASE_URL": empty_database_url}
    )
    migrating.upgrade(app)
    # The data migrations change no schema: step each plugin back before them, put the
    # rows as the hub left them, and upgrade again.
    for owner, revision in PREVIOUS.items():
        migrating.downgrade(app, owner, revision)
    with app.app_context():
        expected = _seed()
        with db.engine.connect() as conn:
            before = _counts(conn)
        db.session.remove()
    migrating.upgrade(app)
    with app.test_request_context():
        with db.engine.connect() as conn:
            assert _counts(conn) == before
        found = {
            (d.target_type, d.target_id): (d.pending, d.hidden, d.reason)
            for d in db.session.scalars(select(Decision))
        }
        assert found == expected
        # What the moderators' queue offers: only the texts no review refused.
        waiting = {(item["type"], item["id"]) for item in moderation.pending_items()}
        assert waiting == {ref for ref, state in expected.items() if state[0]}
        db.session.remove()
        db.engine.dispose()
