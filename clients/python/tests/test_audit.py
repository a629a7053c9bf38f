"""The EPCIS audit log through ``client.audit`` (and the deprecated ``client.m2m`` readers), against the real server."""

from __future__ import annotations

import asyncio
from dataclasses import fields, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

from m2m_trust import AsyncM2MClient, EventFilters, M2MClient, M2MError, device_epc, epcis_query_params, generate_key_pair, sign_challenge
from support import AUDIENCE, Device, RunningServer, Stub, StubResponse


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

    # per_page=1 makes the server page through Link: rel="next" for every event
    first_page = admin.audit.query_events(device_id=device.device_id, per_page=1)
    assert first_page.document["type"] == "EPCISQueryDocument"
    assert len(first_page.events) == 1 and first_page.next_page is not None
    second_page = admin.audit.query_events(page=first_page.next_page)
    assert second_page.events[0]["eventID"] != first_page.events[0]["eventID"]

    events = list(admin.audit.iter_events(device_id=device.device_id, per_page=1))
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
    # the same, in one big page; by EPC; and by the deprecated reader, which still works
    assert list(admin.audit.iter_events(device_id=device.device_id)) == events
    assert list(admin.audit.iter_events(EventFilters(epc=epc))) == events
    assert [len(page.events) for page in admin.audit.iter_pages(device_id=device.device_id, per_page=3)] == [3, 1]
    with pytest.warns(DeprecationWarning, match="client.audit.iter_events"):
        assert list(admin.m2m.iter_events(MATCH_epc=epc)) == events
    with pytest.warns(DeprecationWarning, match="client.audit.query_events"):
        assert admin.m2m.query_events(MATCH_epc=epc)["type"] == "EPCISQueryDocument"


def test_iter_events_filters_as_the_typescript_sdk_names_them(
    admin: M2MClient, device_client: M2MClient, new_device: Callable[..., Device]
) -> None:
    device = new_device("audit-filters")
    failed_challenge = _history(admin, device_client, device)
    epc = device_epc(device.device_id)

    failures = list(admin.audit.iter_events(epc=epc, biz_step="inspecting", disposition="non_conformant", per_page=50))
    assert [e["m2m:challengeId"] for e in failures] == [failed_challenge]

    by_reason = list(admin.audit.iter_events(device_id=device.device_id, reason="SIGNATURE_INVALID"))
    assert [e["m2m:challengeId"] for e in by_reason] == [failed_challenge]
    by_raw_parameter = list(admin.audit.iter_events(params={"EQ_m2m:challengeId": failed_challenge}))
    assert [e["m2m:challengeId"] for e in by_raw_parameter] == [failed_challenge]

    alternatives = list(admin.audit.iter_events(device_id=device.device_id, action=["ADD", "DELETE"], per_page=1))
    assert [e["action"] for e in alternatives] == ["ADD", "DELETE"]

    since = datetime.now(timezone.utc) - timedelta(minutes=10)
    recent = list(admin.audit.iter_events(device_id=device.device_id, event_time_from=since, event_type="ObjectEvent"))
    assert len(recent) == 4
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert list(admin.audit.iter_events(device_id=device.device_id, event_time_from=future)) == []


def test_async_client_reads_the_same_events(
    server: RunningServer, admin: M2MClient, device_client: M2MClient, new_device: Callable[..., Device]
) -> None:
    device = new_device("audit-async")
    _history(admin, device_client, device)
    expected = list(admin.audit.iter_events(device_id=device.device_id))

    async def read() -> list[Any]:
        async with AsyncM2MClient(base_url=server.url, api_key=server.admin_key) as client:
            return [event async for event in client.audit.iter_events(device_id=device.device_id, per_page=1)]

    assert asyncio.run(read()) == expected


def test_every_filter_has_its_query_parameter() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    texts: dict[str, Any] = {f.name: "x" for f in fields(EventFilters) if f.name not in ("per_page", "params")}
    everything = EventFilters(**texts)
    params = epcis_query_params(replace(everything, event_time_from=at, device_id=["d1", "d2"], per_page=5, params={"EQ_extra": "y"}))
    assert params == {
        "MATCH_epc": "urn:m2m-trust:device:d1|urn:m2m-trust:device:d2|x",
        "eventType": "x",
        "EQ_action": "x",
        "EQ_bizStep": "x",
        "EQ_disposition": "x",
        "MATCH_anyEPC": "x",
        "EQ_eventID": "x",
        "EQ_m2m:reason": "x",
        "EQ_m2m:challengeId": "x",
        "EQ_m2m:keyThumbprint": "x",
        "EQ_m2m:actor": "x",
        "EQ_m2m:requestId": "x",
        "EQ_m2m:method": "x",
        "GE_eventTime": "2026-01-02T03:04:05.000Z",
        "LT_eventTime": "x",
        "GE_recordTime": "x",
        "LT_recordTime": "x",
        "perPage": "5",
        "EQ_extra": "y",
    }


def test_an_unknown_filter_is_a_type_error_naming_it(stub: Stub) -> None:
    with M2MClient(base_url=stub.url, api_key="stub-key-0123456789") as client:
        with pytest.raises(TypeError, match="devce_id"):
            list(client.audit.iter_events(devce_id="d1"))
    assert stub.requests == []


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
        assert [e["eventID"] for e in client.audit.iter_events(per_page=2)] == ["e1", "e2", "e3", "e4", "e5"]
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
        events = client.audit.iter_events()
        assert next(events)["eventID"] == "e1"
        with pytest.raises(M2MError, match="another origin"):
            next(events)
    assert len(stub.requests) == 1


def test_iter_events_stops_when_the_service_links_to_a_page_twice(stub: Stub) -> None:
    looping = {"link": '</epcis/events?nextPageToken=same>; rel="next"'}
    document = {"epcisBody": {"queryResults": {"resultsBody": {"eventList": [{"eventID": "e1"}]}}}}
    stub.script("GET", "/epcis/events", *[StubResponse(200, document, looping) for _ in range(3)])
    with M2MClient(base_url=stub.url, api_key="stub-key-0123456789") as client:
        with pytest.raises(M2MError, match="twice") as caught:
            list(client.audit.iter_events())
    assert caught.value.code == "INVALID_RESPONSE"
    assert len(stub.hits("GET", "/epcis/events")) == 2
