"""The inbox and the feeds answer 401 to a missing, bad, stale or replayed signature, a body
that does not match its digest, or an unknown key; a suspended link gets 403."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from .conftest import pair

INBOX = "/federation/v1/inbox"


def _message(kind="changed", data=None, message_id="7f1c1f4e-0000-4000-8000-000000000001"):
    return json.dumps(
        {"id": message_id, "type": kind, "data": data or {"feed": "projects", "seq": 1}}
    ).encode()


def _signed(sender, receiver, body, path=INBOX, method="POST", **options):
    from plugins.federation.signing import sign_request

    with sender.ctx():
        return sign_request(method, receiver.url + path, body, **options)


def _post(receiver, body, headers):
    return receiver.client.post(INBOX, data=body, headers=headers, base_url=receiver.url)


@pytest.fixture
def paired(in_process_hubs):
    pair(in_process_hubs["metropole"], in_process_hubs["commune"])
    return in_process_hubs["metropole"], in_process_hubs["commune"]


def test_a_signed_message_is_accepted_once(paired):
    metropole, commune = paired
    body = _message()
    headers = _signed(metropole, commune, body)
    assert _post(commune, body, headers).status_code == 200
    replay = _post(commune, body, headers)
    assert replay.status_code == 401
    assert "replayed" in replay.get_json()["error"]
    # The same message signed anew (a retry) is accepted, and changes nothing more.
    again = _post(commune, body, _signed(metropole, commune, body))
    assert again.status_code == 200 and again.get_json()["duplicate"] is True


def test_unsigned_tampered_stale_and_unknown_keys_are_refused(paired, tmp_path, _sqlite_template):
    from .conftest import build_hub

    metropole, commune = paired
    body = _message()
    assert _post(commune, body, {"Content-Type": "application/json"}).status_code == 401

    headers = _signed(metropole, commune, body)
    tampered = body.replace(b'"seq": 1', b'"seq": 9')
    response = _post(commune, tampered, headers)
    assert response.status_code == 401 and "Content-Digest" in response.get_json()["error"]

    stale = _signed(metropole, commune, body, created=datetime.now(UTC) - timedelta(minutes=6))
    assert _post(commune, body, stale).status_code == 401
    future = _signed(metropole, commune, body, created=datetime.now(UTC) + timedelta(minutes=6))
    assert _post(commune, body, future).status_code == 401
    within = _signed(metropole, commune, body, created=datetime.now(UTC) - timedelta(minutes=4))
    assert _post(commune, body, within).status_code == 200

    stranger = build_hub(tmp_path / "stranger", "commune", "http://stranger.test", _sqlite_template)
    response = _post(commune, body, _signed(stranger, commune, body))
    assert response.status_code == 401

    # Signed for another address (the target URI is covered): refused.
    elsewhere = _signed(metropole, commune, body, path="/federation/v1/other")
    assert _post(commune, body, elsewhere).status_code == 401


def test_feeds_need_a_signature_of_an_active_peer(paired):
    metropole, commune = paired
    path = "/federation/v1/feeds/projects?since=0"
    assert metropole.client.get(path, base_url=metropole.url).status_code == 401
    headers = _signed(commune, metropole, b"", path=path, method="GET")
    response = metropole.client.get(path, headers=headers, base_url=metropole.url)
    assert response.status_code == 200
    assert "Signature" in response.headers and "Content-Digest" in response.headers
    # The métropole does not read a feed of projects from a commune.
    path = "/federation/v1/feeds/projects?since=0"
    headers = _signed(metropole, commune, b"", path=path, method="GET")
    assert commune.client.get(path, headers=headers, base_url=commune.url).status_code == 403
