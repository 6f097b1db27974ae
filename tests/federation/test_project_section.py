"""The project's section of relays in the communes, read with the page's other lists: the
invitation button shows to who manages the project while a body of a commune may still be
invited, before the first relay as after; a resident sees the relays, never the button."""

from conftest import AuthActions
from factories import make_body, make_project

from hub.accounts.services import create_user
from hub.extensions import db

from .conftest import invite_the_remote_body, pair, sync

SECTION = "Relais dans les communes"


def test_the_invitation_button_shows_while_a_body_may_be_invited(in_process_hubs):
    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    make_body(commune.app)
    pair(metropole, commune)
    with metropole.app.app_context():
        agent_id = create_user(
            "agent@metropole.example",
            "correct horse battery",
            "Agent",
            roles=("agent",),
            confirmed=True,
        ).id
        db.session.commit()
    tram = make_project(
        metropole.app,
        title="Ligne de tram T9",
        phase="strategie",
        published=True,
        owner_id=agent_id,
    )
    square = make_project(
        metropole.app,
        title="Square Jean-Moulin",
        phase="strategie",
        level="communal",
        owner_id=agent_id,
    )
    sync(metropole, commune, metropole)

    # A resident: no relay yet, nothing to offer, no section.
    assert SECTION not in metropole.client.get(f"/projects/{tram}").get_data(as_text=True)

    AuthActions(metropole.client).login("agent@metropole.example", "correct horse battery")
    invite = f"/federation/projects/{tram}/invite"
    page = metropole.client.get(f"/projects/{tram}").get_data(as_text=True)
    assert SECTION in page and invite in page
    # A communal project is not published to the communes: nobody to invite.
    assert SECTION not in metropole.client.get(f"/projects/{square}").get_data(as_text=True)

    # The only body is invited: its relay shows with its hub's name, the button goes.
    invite_the_remote_body(metropole, tram)
    page = metropole.client.get(f"/projects/{tram}").get_data(as_text=True)
    assert SECTION in page and invite not in page
    assert "Conseil de quartier" in page and "Ville d&#39;Ormeval" in page
