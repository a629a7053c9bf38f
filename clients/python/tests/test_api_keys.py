"""``client.api_keys`` against the real server: create (shown once), list, use, revoke; sync and async."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone

import pytest

from m2m_trust import API_KEY_SCOPES, APIError, AsyncM2MClient, AuthenticationError, M2MClient, NotFoundError, ValidationError
from support import RunningServer


def test_create_list_use_revoke(admin: M2MClient, server: RunningServer) -> None:
    expires_at = datetime.now(timezone.utc) + timedelta(days=1)
    created = admin.api_keys.create(name="py reader", scopes=["audit:read", "devices:read"], expires_at=expires_at)
    assert created["name"] == "py reader"
    assert created["scopes"] == ["devices:read", "audit:read"]
    assert created["status"] == "active"
    assert created["expiresAt"] is not None
    assert re.fullmatch(rf"m2m_{created['id']}_[A-Za-z0-9_-]{{43}}", created["key"])

    listed = next(item for item in admin.api_keys.list()["items"] if item["id"] == created["id"])
    assert listed == {k: v for k, v in created.items() if k != "key"}

    with M2MClient(base_url=server.url, api_key=created["key"]) as reader:
        assert "items" in reader.m2m.list_devices(limit=1)
        with pytest.raises(APIError) as denied:
            reader.api_keys.list()
        assert (denied.value.status, denied.value.code) == (403, "INSUFFICIENT_SCOPE")

        revoked = admin.api_keys.revoke(created["id"], reason="py test over")
        assert revoked["status"] == "revoked"
        assert admin.api_keys.revoke(created["id"]) == revoked
        with pytest.raises(AuthenticationError):
            reader.m2m.list_devices(limit=1)


def test_refusals(admin: M2MClient) -> None:
    with pytest.raises(ValidationError) as bad:
        admin.api_keys.create(name="late", scopes=["audit:read"], expires_at="2001-01-01T00:00:00Z")
    assert bad.value.code == "VALIDATION_FAILED"
    with pytest.raises(ValidationError):
        admin.api_keys.create(name="none", scopes=[])
    with pytest.raises(NotFoundError) as missing:
        admin.api_keys.revoke("0123456789abcdef01234567")
    assert missing.value.code == "API_KEY_NOT_FOUND"
    with pytest.raises(ValueError):
        admin.api_keys.create(name="naive", scopes=["audit:read"], expires_at=datetime(2099, 1, 1))


def test_async_client(server: RunningServer) -> None:
    async def run() -> None:
        async with AsyncM2MClient(base_url=server.url, api_key=server.admin_key) as client:
            created = await client.api_keys.create(name="py async", scopes=list(API_KEY_SCOPES))
            assert created["scopes"] == list(API_KEY_SCOPES)
            assert any(item["id"] == created["id"] for item in (await client.api_keys.list())["items"])
            assert (await client.api_keys.revoke(created["id"]))["status"] == "revoked"

    asyncio.run(run())
