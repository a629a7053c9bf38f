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
    Settings,
    generate_key_pair,
)
from m2m_trust._core import backoff
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
    retry_at = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=2)
    when = format_datetime(retry_at, usegmt=True)
    stub.script("GET", "/v1/devices", StubResponse(503, None, {"retry-after": when}), StubResponse(200, {"items": [], "nextCursor": None}))
    with client_for(stub) as client:
        assert client.m2m.list_devices() == {"items": [], "nextCursor": None}
    # The retry comes no earlier than the date named, however long the first answer took to arrive.
    retried = datetime.now(timezone.utc) - timedelta(seconds=time.monotonic() - stub.hits("GET", "/v1/devices")[1].at)
    assert retried >= retry_at - timedelta(milliseconds=50)


def test_without_retry_after_backoff_is_used(stub: Stub) -> None:
    stub.script("GET", "/v1/devices/d1", StubResponse(503, None), StubResponse(503, None), StubResponse(200, ok_device("d1")))
    with client_for(stub, max_retries=2, backoff_factor=0.2) as client:
        assert client.m2m.get_device("d1")["status"] == "active"
    waits = gaps(stub, "GET", "/v1/devices/d1")
    assert len(waits) == 2
    assert waits[0] < 1.0  # up to 0.2 s (full jitter), plus a slow machine's slack
    assert waits[1] < 1.5  # up to 0.4 s


def test_backoff_is_full_jitter_up_to_a_capped_ceiling() -> None:
    settings = Settings(base_url="http://127.0.0.1:1", backoff_factor=0.2, max_backoff=0.5)
    for attempt, ceiling in [(0, 0.2), (1, 0.4), (2, 0.5), (10, 0.5)]:
        delays = [backoff(settings, attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2 and min(delays) < ceiling / 2  # spread over the whole range
    # With Retry-After: what the service asked for, plus up to backoff_factor of jitter.
    assert all(3.0 <= backoff(settings, 0, 3.0) <= 3.2 for _ in range(50))


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
    assert caught.value.code == "HTTP_429" and caught.value.status == 429  # not problem+json: still typed, coded as in TypeScript
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
    with client_for(stub, timeout=1.0, max_retries=0) as client:
        with pytest.raises(M2MTimeoutError) as caught:
            client.m2m.get_device("d1")
    assert time.monotonic() - started < 8
    assert isinstance(caught.value, M2MConnectionError) and caught.value.status is None
    assert caught.value.code == "TIMEOUT"  # as the TypeScript SDK's M2MTimeoutError


def test_a_read_is_retried_after_a_timeout_a_write_is_not(stub: Stub) -> None:
    # As in the TypeScript SDK: a lost answer to a read costs nothing to ask again; a write may have happened.
    # Answers long after the timeout, so that a slow or busy machine still tells a timeout from an answer.
    stub.script("GET", "/v1/devices/d1", StubResponse(200, ok_device("d1"), delay=10), StubResponse(200, ok_device("d1")))
    stub.script("POST", "/v1/devices", StubResponse(201, ok_device("d2"), delay=10), StubResponse(201, ok_device("d2")))
    with client_for(stub, timeout=1.0) as client:
        assert client.m2m.get_device("d1")["deviceId"] == "d1"
        with pytest.raises(M2MTimeoutError):
            client.m2m.register_device(device_id="d2", public_key="00" * 32)
    assert len(stub.hits("GET", "/v1/devices/d1")) == 2
    assert len(stub.hits("POST", "/v1/devices")) == 1


def test_a_token_request_is_retried_when_the_service_did_nothing(stub: Stub) -> None:
    token = {"access_token": "t", "token_type": "Bearer", "expires_in": 300}
    busy = StubResponse(503, problem(503, "SERVICE_UNAVAILABLE"), {"retry-after": "0"})
    stub.script("POST", "/oauth2/token", busy, StubResponse(200, token))
    with client_for(stub) as client:
        assert client.m2m.request_token(device_id="d1", private_key=generate_key_pair().private_key)["access_token"] == "t"
    assert len(stub.hits("POST", "/oauth2/token")) == 2




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
