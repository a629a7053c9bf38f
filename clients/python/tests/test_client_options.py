"""What a client is built from, and the defaults it shares with the TypeScript SDK."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from m2m_trust import AsyncM2MClient, ChallengeRefusedError, M2MClient, generate_key_pair, sign_challenge
from support import Stub, StubResponse

CHALLENGE_ID = "0f8c1c5e-3f5a-4c1e-9a4e-6d2b8f7a1c01"


@pytest.mark.parametrize("client_class", [M2MClient, AsyncM2MClient])
@pytest.mark.parametrize("base_url", [None, "", "  "])
def test_no_base_url_is_a_clear_error_naming_the_option(client_class: Any, base_url: Any) -> None:
    with pytest.raises(ValueError, match=r"^base_url is required: .*https://auth\.example\.com"):
        client_class(base_url=base_url)


def test_a_missing_base_url_argument_names_it() -> None:
    with pytest.raises(TypeError, match="base_url"):
        M2MClient()  # type: ignore[call-arg]


@pytest.mark.parametrize("base_url", ["auth.example.com", "ftp://auth.example.com", "/v1"])
def test_a_base_url_that_is_not_an_absolute_http_url_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url must be an absolute http"):
        M2MClient(base_url=base_url)


def test_a_base_url_with_credentials_is_refused() -> None:
    with pytest.raises(ValueError, match="api_key"):
        M2MClient(base_url="https://admin:secret@auth.example.com")


@pytest.mark.parametrize(
    ("base_url", "stored", "audience"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://Auth.Example.com:443/prefix/?x=1#f", "https://Auth.Example.com:443/prefix", "https://auth.example.com"),
        ("http://[::1]:80", "http://[::1]:80", "http://[::1]"),
    ],
)
def test_the_audience_defaults_to_the_origin_of_the_base_url(base_url: str, stored: str, audience: str) -> None:
    # What `new URL(baseUrl).origin` gives in the TypeScript SDK; the path prefix stays in the base URL.
    settings = M2MClient(base_url=base_url).settings
    assert (settings.base_url, settings.audience) == (stored, audience)
    assert M2MClient(base_url=base_url, audience="urn:service").settings.audience == "urn:service"


def _challenge_for(audience: str, device_id: str) -> dict[str, Any]:
    expires = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    nonce = f"m2m-trust-challenge/v1;aud={audience};cid={CHALLENGE_ID};did={device_id};rnd={'A' * 43};exp={expires}"
    return {"id": CHALLENGE_ID, "deviceId": device_id, "nonce": nonce, "algorithm": "Ed25519", "expiresAt": expires}


def test_authenticate_expects_the_client_audience_unless_told_otherwise(stub: Stub) -> None:
    keys = generate_key_pair()
    challenge = _challenge_for(stub.url, "d1")
    stub.script("POST", "/v1/challenges", *[StubResponse(201, challenge)] * 3)
    stub.script("POST", "/v1/challenges/verify", StubResponse(200, {"verified": True, "deviceId": "d1"}))

    with M2MClient(base_url=stub.url) as client:
        assert client.m2m.authenticate(device_id="d1", private_key=keys.private_key)["verified"] is True
    expected = sign_challenge(challenge, keys.private_key, device_id="d1", audience=stub.url)
    assert [h.json() for h in stub.hits("POST", "/v1/challenges/verify")] == [{"challengeId": CHALLENGE_ID, "signature": expected}]

    # Another service's audience, set on the client or per call: refused before anything is signed or sent.
    with M2MClient(base_url=stub.url, audience="https://elsewhere.example") as client:
        with pytest.raises(ChallengeRefusedError) as caught:
            client.m2m.authenticate(device_id="d1", private_key=keys.private_key)
        assert (caught.value.code, caught.value.reason) == ("AUDIENCE_MISMATCH", "WRONG_AUDIENCE")
        with pytest.raises(ChallengeRefusedError):
            client.m2m.authenticate(device_id="d1", private_key=keys.private_key, audience="https://other.example")
    assert len(stub.hits("POST", "/v1/challenges/verify")) == 1
