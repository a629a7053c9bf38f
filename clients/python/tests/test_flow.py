"""The documented flow against the real server: register, challenge, sign, verify, list, inspect, revoke."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone
from typing import Any, Callable

from m2m_trust import AsyncM2MClient, M2MClient, generate_key_pair, parse_nonce, sign_challenge
from support import AUDIENCE, Device, RunningServer, unique_id

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_full_documented_flow(admin: M2MClient, device_client: M2MClient) -> None:
    keys = generate_key_pair()
    device_id = unique_id("scanner-floor-3")

    device = admin.m2m.register_device(
        device_id=device_id, public_key=keys.public_key, label="Factory Floor Scanner #3", metadata={"floor": 3}
    )
    assert isinstance(device, dict)
    assert device["deviceId"] == device_id
    assert device["publicKey"] == keys.public_key
    assert device["label"] == "Factory Floor Scanner #3"
    assert device["metadata"] == {"floor": 3}
    assert device["status"] == "active"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", device["keyThumbprint"])

    challenge = device_client.m2m.initiate_challenge(device_id=device_id)
    assert set(challenge) == {"id", "deviceId", "nonce", "algorithm", "expiresAt"}
    assert UUID.match(challenge["id"])
    assert challenge["deviceId"] == device_id
    assert challenge["algorithm"] == "Ed25519"
    fields = parse_nonce(challenge["nonce"])
    assert (fields.audience, fields.challenge_id, fields.device_id, fields.expires_at) == (
        AUDIENCE,
        challenge["id"],
        device_id,
        challenge["expiresAt"],
    )
    assert fields.expires > datetime.now(timezone.utc)

    signed_nonce = sign_challenge(challenge, keys.private_key, device_id=device_id, audience=AUDIENCE)
    assert re.fullmatch(r"[0-9a-f]{128}", signed_nonce)
    result = device_client.m2m.verify(challenge_id=challenge["id"], signature=signed_nonce)
    assert result["verified"] is True
    assert result["deviceId"] == device_id
    assert datetime.fromisoformat(result["verifiedAt"].replace("Z", "+00:00")).tzinfo is not None

    listed = admin.m2m.list_devices()
    assert set(listed) == {"items", "nextCursor"}
    assert device_id in {d["deviceId"] for d in admin.m2m.iter_devices()}
    assert admin.m2m.get_device(device_id) == device

    revoked = admin.m2m.revoke_device(device_id, reason="lost")
    assert revoked["status"] == "revoked"
    assert revoked["revocationReason"] == "lost"
    assert revoked["revokedAt"]
    assert admin.m2m.get_device(device_id)["status"] == "revoked"
    # idempotent
    again = admin.m2m.revoke_device(device_id)
    assert again["status"] == "revoked" and again["revokedAt"] == revoked["revokedAt"]


def test_authenticate_in_one_call_with_each_private_key_form(device_client: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("one-call")
    for key in (device.keys.private_key, device.keys.private_key_pem(), device.keys.private_key_raw(), device.keys.private_key_hex()):
        result = device_client.m2m.authenticate(device_id=device.device_id, private_key=key, audience=AUDIENCE)
        assert result == {
            "verified": True,
            "deviceId": device.device_id,
            "verifiedAt": result["verifiedAt"],
            "accessToken": result["accessToken"],
            "tokenType": "Bearer",
            "expiresIn": 300,
        }


def test_device_ids_with_colons_and_dots_round_trip(admin: M2MClient, device_client: M2MClient) -> None:
    keys = generate_key_pair()
    device_id = unique_id("meter:eu-west.7")
    admin.m2m.register_device(device_id=device_id, public_key=keys.public_key)
    assert admin.m2m.get_device(device_id)["deviceId"] == device_id
    assert device_client.m2m.authenticate(device_id=device_id, private_key=keys.private_key, audience=AUDIENCE)["verified"] is True
    assert admin.m2m.revoke_device(device_id)["status"] == "revoked"


def test_list_devices_status_limit_cursor_and_iterator(admin: M2MClient, new_device: Callable[..., Device]) -> None:
    created = [new_device("paged").device_id for _ in range(5)]
    admin.m2m.revoke_device(created[1], reason="retired")

    first = admin.m2m.list_devices(limit=2)
    assert len(first["items"]) == 2
    assert isinstance(first["nextCursor"], str)
    second = admin.m2m.list_devices(limit=2, cursor=first["nextCursor"])
    assert {d["deviceId"] for d in first["items"]}.isdisjoint(d["deviceId"] for d in second["items"])

    everything = [d["deviceId"] for d in admin.m2m.iter_devices(page_size=2)]
    assert len(everything) == len(set(everything))
    positions = [everything.index(d) for d in created]
    assert positions == sorted(positions)  # registration order across pages

    revoked = [d["deviceId"] for d in admin.m2m.iter_devices(status="revoked", page_size=1)]
    active = [d["deviceId"] for d in admin.m2m.iter_devices(status="active", page_size=3)]
    assert created[1] in revoked and created[1] not in active
    assert all(d in active for d in created[:1] + created[2:])
    assert all(d["status"] == "revoked" for d in admin.m2m.list_devices(status="revoked", limit=1000)["items"])


def test_async_client_runs_the_same_flow(server: RunningServer) -> None:
    async def flow() -> dict[str, Any]:
        keys = generate_key_pair()
        device_id = unique_id("async")
        # The service's audience set once on the client (as the TypeScript SDK's `audience` option), not per call.
        async with AsyncM2MClient(base_url=server.url, api_key=server.admin_key, audience=AUDIENCE) as client:
            registered = await client.m2m.register_device(device_id=device_id, public_key=keys.public_key, label="async")
            challenge = await client.m2m.initiate_challenge(device_id=device_id)
            signature = sign_challenge(challenge, keys.private_key, device_id=device_id, audience=AUDIENCE)
            verified = await client.m2m.verify(challenge_id=challenge["id"], signature=signature)
            one_call = await client.m2m.authenticate(device_id=device_id, private_key=keys.private_key)
            fetched = await client.m2m.get_device(device_id)
            listed = [d["deviceId"] async for d in client.m2m.iter_devices(page_size=1)]
            revoked = await client.m2m.revoke_device(device_id, reason="async done")
            events = [e async for e in client.audit.iter_events(device_id=device_id, per_page=1)]
            return {
                "registered": registered,
                "verified": verified,
                "one_call": one_call,
                "fetched": fetched,
                "listed": listed,
                "revoked": revoked,
                "events": events,
                "device_id": device_id,
            }

    out = asyncio.run(flow())
    assert out["registered"]["deviceId"] == out["device_id"]
    assert out["verified"]["verified"] is True
    assert out["one_call"]["verified"] is True
    assert out["fetched"] == out["registered"]
    assert out["device_id"] in out["listed"]
    assert out["revoked"]["status"] == "revoked"
    assert [e["bizStep"] for e in out["events"]] == ["commissioning", "inspecting", "inspecting", "decommissioning"]
