"""The EPCIS audit log through ``iter_events`` / ``query_events``, against the real server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

from m2m_trust import M2MClient, M2MError, device_epc, generate_key_pair, sign_challenge
from support import AUDIENCE, Device, Stub, StubResponse


def _history(admin: M2MClient, device_client: M2MClient, device: Device) -> str:
    """Registration (done), a success, a failure (other key), a revocation. Returns the failed challenge id."""
    assert device_client.m2m.authenticate(device_id=device.device_id, private_key=device.keys.private_key, audience=AUDIENCE)["verified"]
    challenge = device_client.m2m.initiate_challenge(device.device_id)
    bad = sign_challenge(challenge, generate_key_pair().private_key, device_id=device.device_id, audience=AUDIENCE)
    assert device_client.m2m.verify(challenge_id=challenge["id"], signature=bad)["reason"] == "SIGNATURE_INVALID"
    admin.m2m.revoke_device(device.device_id, reason="lost")
    return str(challenge["id"])


def test_iter_events_finds_the_device_events_across_pages(
    admin: M2MClient, device_client: M2MClient, new_device: Callable[..., Device]
) -> None:
    device = new_device("audited")
    new_device("audited-bystander")  # another device's events must not show up
    failed_challenge = _history(admin, device_client, device)
    epc = device_epc(device.device_id)
    assert epc == f"urn:m2m-trust:device:{device.device_id}"

    # perPage=1 makes the server page through Link: rel="next" for every event
    first_page = admin.m2m.query_events(MATCH_epc=epc, perPage=1)
    assert first_page["type"] == "EPCISQueryDocument"
    assert len(first_page["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1

    events = list(admin.m2m.iter_events(MATCH_epc=epc, perPage=1))
    assert [e["epcList"] for e in events] == [[epc]] * 4
    assert [(e["action"], e["bizStep"], e["disposition"]) for e in events] == [
        ("ADD", "commissioning", "active"),
        ("OBSERVE", "inspecting", "conformant"),
        ("OBSERVE", "inspecting", "non_conformant"),
        ("DELETE", "decommissioning", "inactive"),
    ]
    assert len({e["eventID"] for e in events}) == 4
    assert events[0]["m2m:keyThumbprint"] == device.record["keyThumbprint"]
    assert events[1]["m2m:actor"] == f"device:{device.device_id}"
    assert events[2]["m2m:reason"] == "SIGNATURE_INVALID"
    assert events[2]["m2m:challengeId"] == failed_challenge
    assert events[3]["m2m:reason"] == "lost"
    assert events[3]["m2m:actor"] == "api-key:admin"
    # the same, in one big page
    assert list(admin.m2m.iter_events(MATCH_epc=epc)) == events


def test_iter_events_filters_as_keyword_arguments_and_mappings(
    admin: M2MClient, device_client: M2MClient, new_device: Callable[..., Device]
) -> None:
    device = new_device("audit-filters")
    failed_challenge = _history(admin, device_client, device)
    epc = device_epc(device.device_id)

    failures = list(admin.m2m.iter_events(MATCH_epc=epc, EQ_bizStep="inspecting", EQ_disposition="non_conformant", perPage=50))
    assert [e["m2m:challengeId"] for e in failures] == [failed_challenge]

    by_extension = list(admin.m2m.iter_events({"EQ_m2m:reason": "SIGNATURE_INVALID", "MATCH_epc": epc}))
    assert [e["m2m:challengeId"] for e in by_extension] == [failed_challenge]

    alternatives = list(admin.m2m.iter_events(MATCH_epc=epc, EQ_action=["ADD", "DELETE"], perPage=1))
    assert [e["action"] for e in alternatives] == ["ADD", "DELETE"]

    since = datetime.now(timezone.utc) - timedelta(minutes=10)
    recent = list(admin.m2m.iter_events(MATCH_epc=epc, GE_eventTime=since, eventType="ObjectEvent"))
    assert len(recent) == 4
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert list(admin.m2m.iter_events(MATCH_epc=epc, GE_eventTime=future)) == []


def test_iter_events_follows_the_link_of_each_page(stub: Stub) -> None:
    def page(*ids: str) -> dict[str, Any]:
        return {"type": "EPCISQueryDocument", "epcisBody": {"queryResults": {"resultsBody": {"eventList": [{"eventID": i} for i in ids]}}}}

    stub.script(
        "GET",
        "/epcis/events",
        StubResponse(200, page("e1", "e2"), {"link": '</epcis/events?perPage=2&nextPageToken=abc>; rel="next"'}),
        StubResponse(200, page("e3", "e4"), {"link": f'<{stub.url}/epcis/events?perPage=2&nextPageToken=def>; rel="next"'}),
        StubResponse(200, page("e5")),
    )
    with M2MClient(base_url=stub.url, api_key="stub-key-0123456789") as client:
        assert [e["eventID"] for e in client.m2m.iter_events(perPage=2)] == ["e1", "e2", "e3", "e4", "e5"]
    paths = [r.path for r in stub.hits("GET", "/epcis/events")]
    assert paths == ["/epcis/events?perPage=2", "/epcis/events?perPage=2&nextPageToken=abc", "/epcis/events?perPage=2&nextPageToken=def"]
    assert all(r.headers["authorization"] == "Bearer stub-key-0123456789" for r in stub.requests)


def test_iter_events_refuses_to_follow_a_link_to_another_origin(stub: Stub) -> None:
    stub.script(
        "GET",
        "/epcis/events",
        StubResponse(
            200,
            {"epcisBody": {"queryResults": {"resultsBody": {"eventList": [{"eventID": "e1"}]}}}},
            {"link": '<http://attacker.example/epcis/events?nextPageToken=x>; rel="next"'},
        ),
    )
    with M2MClient(base_url=stub.url, api_key="stub-key-0123456789") as client:
        events = client.m2m.iter_events()
        assert next(events)["eventID"] == "e1"
        with pytest.raises(M2MError, match="another origin"):
            next(events)
    assert len(stub.requests) == 1
