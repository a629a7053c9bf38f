"""Timeouts and retries against a tiny local http.server stub (real HTTP, no mocks)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from m2m_trust import (
    APIError,
    AsyncM2MClient,
    M2MClient,
    M2MConnectionError,
    M2MTimeoutError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
)
from m2m_trust.errors import parse_retry_after
from support import Stub, StubResponse, ok_device, problem

VERIFY = "/v1/challenges/verify"
CHALLENGE_ID = "0f8c1c5e-3f5a-4c1e-9a4e-6d2b8f7a1c01"
SIGNATURE = "ab" * 64


def client_for(stub: Stub, **kwargs: Any) -> M2MClient:
    return M2MClient(base_url=stub.url, api_key="stub-key-0123456789", **kwargs)


def gaps(stub: Stub, method: str, path: str) -> list[float]:
    times = [r.at for r in stub.hits(method, path)]
    return [b - a for a, b in zip(times, times[1:])]


def test_429_is_retried_after_retry_after_seconds(stub: Stub) -> None:
    stub.script(
        "GET",
        "/v1/devices/d1",
        StubResponse(429, problem(429, "RATE_LIMITED"), {"retry-after": "1"}),
        StubResponse(200, ok_device("d1")),
    )
    with client_for(stub) as client:
        assert client.m2m.get_device("d1")["deviceId"] == "d1"
    assert len(stub.hits("GET", "/v1/devices/d1")) == 2
    assert gaps(stub, "GET", "/v1/devices/d1")[0] >= 0.95


def test_503_is_retried_for_posts_other_than_verify(stub: Stub) -> None:
    challenge = {"id": CHALLENGE_ID, "deviceId": "d1", "nonce": "n", "algorithm": "Ed25519", "expiresAt": "2030-01-01T00:00:00.000Z"}
    stub.script(
        "POST",
        "/v1/challenges",
        StubResponse(503, problem(503, "SERVICE_UNAVAILABLE"), {"retry-after": "0"}),
        StubResponse(503, problem(503, "SERVICE_UNAVAILABLE"), {"retry-after": "0"}),
        StubResponse(201, challenge),
    )
    with client_for(stub, max_retries=2) as client:
        assert client.m2m.initiate_challenge("d1") == challenge
    hits = stub.hits("POST", "/v1/challenges")
    assert len(hits) == 3
    assert all(h.json() == {"deviceId": "d1"} for h in hits)  # the same request each time


def test_retry_after_as_an_http_date(stub: Stub) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True)
    stub.script("GET", "/v1/devices", StubResponse(503, None, {"retry-after": when}), StubResponse(200, {"items": [], "nextCursor": None}))
    with client_for(stub) as client:
        assert client.m2m.list_devices() == {"items": [], "nextCursor": None}
    # an HTTP-date has one-second resolution: at least ~1 s of the 2 s remain
    assert gaps(stub, "GET", "/v1/devices")[0] >= 0.9


def test_without_retry_after_backoff_is_used(stub: Stub) -> None:
    stub.script("GET", "/v1/devices/d1", StubResponse(503, None), StubResponse(503, None), StubResponse(200, ok_device("d1")))
    with client_for(stub, max_retries=2, backoff_factor=0.2) as client:
        assert client.m2m.get_device("d1")["status"] == "active"
    waits = gaps(stub, "GET", "/v1/devices/d1")
    assert len(waits) == 2
    assert 0.09 <= waits[0] < 1.0  # 0.2 s with jitter (between half and all)
    assert 0.19 <= waits[1] < 1.5  # 0.4 s with jitter


def test_retries_are_bounded_then_the_typed_error_is_raised(stub: Stub) -> None:
    stub.script("GET", "/v1/devices/d1", *[StubResponse(429, problem(429, "RATE_LIMITED"), {"retry-after": "0"})] * 5)
    with client_for(stub, max_retries=2) as client:
        with pytest.raises(RateLimitedError) as caught:
            client.m2m.get_device("d1")
    assert len(stub.hits("GET", "/v1/devices/d1")) == 3
    assert caught.value.status == 429 and caught.value.code == "RATE_LIMITED"
    assert caught.value.retry_after == 0.0
    assert caught.value.request_id == "stub-req"


def test_a_retry_after_longer_than_max_retry_after_is_not_waited_for(stub: Stub) -> None:
    stub.script("GET", "/v1/devices/d1", StubResponse(503, problem(503, "SERVICE_UNAVAILABLE"), {"retry-after": "120"}))
    started = time.monotonic()
    with client_for(stub, max_retry_after=30) as client:
        with pytest.raises(ServiceUnavailableError) as caught:
            client.m2m.get_device("d1")
    assert time.monotonic() - started < 5
    assert caught.value.retry_after == 120.0
    assert len(stub.hits("GET", "/v1/devices/d1")) == 1


def test_max_retries_zero_disables_retries(stub: Stub) -> None:
    stub.script("GET", "/v1/devices/d1", StubResponse(429, None, {"retry-after": "0"}), StubResponse(200, ok_device("d1")))
    with client_for(stub, max_retries=0) as client:
        with pytest.raises(RateLimitedError) as caught:
            client.m2m.get_device("d1")
    assert caught.value.code is None and caught.value.status == 429  # not problem+json: still typed
    assert len(stub.hits("GET", "/v1/devices/d1")) == 1


def test_other_errors_are_not_retried(stub: Stub) -> None:
    stub.script("GET", "/v1/devices/d1", StubResponse(500, problem(500, "INTERNAL")), StubResponse(200, ok_device("d1")))
    with client_for(stub) as client:
        with pytest.raises(ServerError) as caught:
            client.m2m.get_device("d1")
    assert caught.value.code == "INTERNAL"
    assert len(stub.hits("GET", "/v1/devices/d1")) == 1


@pytest.mark.parametrize(("status", "error"), [(503, ServiceUnavailableError), (429, RateLimitedError)])
def test_verify_is_never_retried(stub: Stub, status: int, error: type[APIError]) -> None:
    stub.script(
        "POST",
        VERIFY,
        StubResponse(status, problem(status, "BUSY"), {"retry-after": "0"}),
        StubResponse(200, {"verified": True, "deviceId": "d1", "verifiedAt": "2030-01-01T00:00:00.000Z"}),
    )
    with client_for(stub, max_retries=5) as client:
        with pytest.raises(error) as caught:
            client.m2m.verify(challenge_id=CHALLENGE_ID, signature=SIGNATURE)
    assert caught.value.status == status
    hits = stub.hits("POST", VERIFY)
    assert len(hits) == 1
    assert hits[0].json() == {"challengeId": CHALLENGE_ID, "signature": SIGNATURE}
    assert "authorization" not in hits[0].headers  # device calls carry no API key


def test_verify_is_not_retried_on_a_timeout(stub: Stub) -> None:
    stub.script("POST", VERIFY, StubResponse(200, {"verified": True}, delay=10), StubResponse(200, {"verified": True}))
    with client_for(stub, timeout=1.0, max_retries=5) as client:
        with pytest.raises(M2MTimeoutError):
            client.m2m.verify(challenge_id=CHALLENGE_ID, signature=SIGNATURE)
    assert len(stub.hits("POST", VERIFY)) == 1


def test_timeouts_raise_m2m_timeout_error(stub: Stub) -> None:
    # The answer comes long after the timeout, so a slow or busy machine still tells the two apart.
    stub.script("GET", "/v1/devices/d1", StubResponse(200, ok_device("d1"), delay=10))
    started = time.monotonic()
    with client_for(stub, timeout=1.0) as client:
        with pytest.raises(M2MTimeoutError) as caught:
            client.m2m.get_device("d1")
    assert time.monotonic() - started < 8
    assert isinstance(caught.value, M2MConnectionError) and caught.value.status is None
    # a read timeout may have reached the service: it is not retried
    assert len(stub.hits("GET", "/v1/devices/d1")) == 1


def test_async_client_retries_and_never_retries_verify(stub: Stub) -> None:
    stub.script("GET", "/v1/devices/d1", StubResponse(429, None, {"retry-after": "1"}), StubResponse(200, ok_device("d1")))
    stub.script("POST", VERIFY, StubResponse(503, None, {"retry-after": "0"}), StubResponse(200, {"verified": True}))

    async def run() -> tuple[dict[str, Any], BaseException]:
        async with AsyncM2MClient(base_url=stub.url, api_key="stub-key-0123456789") as client:
            device = await client.m2m.get_device("d1")
            try:
                await client.m2m.verify(challenge_id=CHALLENGE_ID, signature=SIGNATURE)
            except ServiceUnavailableError as exc:
                return device, exc
            raise AssertionError("verify did not raise")

    device, exc = asyncio.run(run())
    assert device["deviceId"] == "d1"
    assert isinstance(exc, ServiceUnavailableError) and exc.retry_after == 0.0
    assert len(stub.hits("GET", "/v1/devices/d1")) == 2
    assert gaps(stub, "GET", "/v1/devices/d1")[0] >= 0.95
    assert len(stub.hits("POST", VERIFY)) == 1


def test_parse_retry_after() -> None:
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("Tue, 01 Jan 2030 00:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 31 Dec 2029 23:00:00 GMT", now=now) == 0.0  # in the past: now
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-1") is None
    assert parse_retry_after(None) is None
