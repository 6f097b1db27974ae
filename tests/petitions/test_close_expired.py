"""Petitions past their deadline are recorded as closed by `hub petitions close-expired`."""

import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from hub.audit import AuditEntry
from hub.db import utcnow
from hub.extensions import db
from plugins.petitions.models import Petition

sys.path.insert(0, str(Path(__file__).parent))
from petition_helpers import open_petition, resident


def test_close_expired_records_the_status_once(app, make_user):
    resident(make_user, "autrice@example.org")
    expired_id = open_petition(app, "autrice@example.org", title="Un banc place du marché")
    running_id = open_petition(app, "autrice@example.org", title="Des arceaux à vélo")
    with app.app_context():
        db.session.get(Petition, expired_id).deadline = utcnow() - timedelta(days=1)
        db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["petitions", "close-expired"])
    assert first.exit_code == 0, first.output
    assert "1 petition(s) closed" in first.output
    second = runner.invoke(args=["petitions", "close-expired"])
    assert "0 petition(s) closed" in second.output
    with app.app_context():
        expired, running = (
            db.session.get(Petition, expired_id),
            db.session.get(Petition, running_id),
        )
        assert (expired.status, running.status) == ("closed", "open")
        assert expired.collection.accepting is False
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "petitions.closed_at_deadline")
        ).all()
        assert len(actions) == 1
