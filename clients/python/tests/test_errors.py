"""Every typed exception, from real answers of the real server."""

from __future__ import annotations

import re
import socket
from typing import Any, Callable

import pytest

from m2m_trust import (
    APIError,
    AuthenticationError,
    ConflictError,
    M2MClient,
    M2MConnectionError,
    M2MError,
    NotFoundError,
    ValidationError,
    generate_key_pair,
)
from support import AUDIENCE, Device, RunningServer, unique_id

REQUEST_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def assert_problem(error: M2MError, *, status: int, code: str) -> None:
    assert error.status == status
    assert error.code == code
    assert error.request_id and REQUEST_ID.match(error.request_id), error.request_id
    assert error.problem["requestId"] == error.request_id
    assert error.detail and isinstance(error.detail, str)
    assert error.title
    assert code in str(error) and error.request_id in str(error)


@pytest.mark.parametrize("api_key", ["wrong-key-0123456789abcdef", None])
def test_401_wrong_or_missing_api_key_is_authentication_error(server: RunningServer, api_key: str | None) -> None:
    with M2MClient(base_url=server.url, api_key=api_key) as client:
        with pytest.raises(AuthenticationError) as caught:
            client.m2m.list_devices()
        assert_problem(caught.value, status=401, code="UNAUTHORIZED")
        with pytest.raises(AuthenticationError):
            client.m2m.register_device(device_id=unique_id("nokey"), public_key=generate_key_pair().public_key)
        with pytest.raises(AuthenticationError):
            list(client.audit.iter_events())


def test_api_key_is_sent_only_where_it_is_needed(server: RunningServer, new_device: Callable[..., Device]) -> None:
    # With a wrong key, device calls still work (they take no key) while operator calls fail.
    device = new_device("keyless")
    with M2MClient(base_url=server.url, api_key="wrong-key-0123456789abcdef") as client:
        assert client.m2m.initiate_challenge(device.device_id)["deviceId"] == device.device_id
        with pytest.raises(AuthenticationError):
            client.m2m.get_device(device.device_id)


def test_404_unknown_device_is_not_found_error(admin: M2MClient, device_client: M2MClient) -> None:
    missing = unique_id("missing")
    with pytest.raises(NotFoundError) as caught:
        admin.m2m.get_device(missing)
    assert_problem(caught.value, status=404, code="DEVICE_NOT_FOUND")
    assert missing in (caught.value.detail or "")
    # A device is never told whether an id exists: the challenge is a decoy that never verifies.
    decoy = device_client.m2m.initiate_challenge(missing)
    assert decoy["deviceId"] == missing
    assert device_client.m2m.verify(challenge_id=decoy["id"], signature="00" * 64) == {"verified": False, "reason": "SIGNATURE_INVALID"}


def test_409_device_exists(admin: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("exists")
    with pytest.raises(ConflictError) as caught:
        admin.m2m.register_device(device_id=device.device_id, public_key=generate_key_pair().public_key)
    assert_problem(caught.value, status=409, code="DEVICE_EXISTS")


def test_409_duplicate_public_key(admin: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("dupkey")
    other = unique_id("dupkey-other")
    with pytest.raises(ConflictError) as caught:
        admin.m2m.register_device(device_id=other, public_key=device.keys.public_key)
    assert_problem(caught.value, status=409, code="DUPLICATE_PUBLIC_KEY")
    with pytest.raises(NotFoundError):  # a refused request changes nothing
        admin.m2m.get_device(other)


def test_revoked_device_gets_a_decoy_and_only_its_key_learns_why(admin: M2MClient, device_client: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("revoked-challenge")
    admin.m2m.revoke_device(device.device_id)
    decoy = device_client.m2m.initiate_challenge(device.device_id)
    assert device_client.m2m.verify(challenge_id=decoy["id"], signature="00" * 64) == {"verified": False, "reason": "SIGNATURE_INVALID"}
    assert device_client.m2m.authenticate(device_id=device.device_id, private_key=device.keys.private_key, audience=AUDIENCE) == {"verified": False, "reason": "DEVICE_REVOKED"}


@pytest.mark.parametrize(
    ("device_id", "public_key", "path"),
    [
        ("bad id with spaces", None, "/deviceId"),
        ("-starts-with-dash", None, "/deviceId"),
        ("x" * 129, None, "/deviceId"),
        (None, "d75a98", "/publicKey"),
        (None, "zz" * 32, "/publicKey"),
    ],
)
def test_400_validation_failed(admin: M2MClient, device_id: str | None, public_key: str | None, path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        admin.m2m.register_device(device_id=device_id or unique_id("valid"), public_key=public_key or generate_key_pair().public_key)
    assert_problem(caught.value, status=400, code="VALIDATION_FAILED")
    assert path in {e["path"] for e in caught.value.errors}


def test_400_bad_list_parameters(admin: M2MClient) -> None:
    with pytest.raises(ValidationError) as caught:
        admin.m2m.list_devices(limit=0)
    assert_problem(caught.value, status=400, code="VALIDATION_FAILED")
    with pytest.raises(ValidationError):
        admin.m2m.list_devices(status="sleeping")


def test_400_malformed_verify(device_client: M2MClient) -> None:
    with pytest.raises(ValidationError) as caught:
        device_client.m2m.verify(challenge_id="not-a-uuid", signature="00" * 64)
    assert_problem(caught.value, status=400, code="VALIDATION_FAILED")
    with pytest.raises(ValidationError) as caught:
        device_client.m2m.verify(challenge_id="0f8c1c5e-3f5a-4c1e-9a4e-6d2b8f7a1c01", signature="00" * 63)
    assert "/signature" in {e["path"] for e in caught.value.errors}


def test_400_invalid_public_key_vectors(admin: M2MClient, vectors: dict[str, Any]) -> None:
    assert len(vectors["invalidPublicKeys"]) >= 10
    for vector in vectors["invalidPublicKeys"]:
        device_id = unique_id("badkey")
        with pytest.raises(ValidationError) as caught:
            admin.m2m.register_device(device_id=device_id, public_key=vector["publicKey"])
        assert caught.value.code == vector["expected"], vector["name"]
        assert caught.value.status == 400
        with pytest.raises(NotFoundError):
            admin.m2m.get_device(device_id)


def test_400_epcis_query_parameter_invalid(admin: M2MClient) -> None:
    with pytest.raises(ValidationError) as caught:
        list(admin.audit.iter_events(params={"bogus": "1"}))
    assert_problem(caught.value, status=400, code="QUERY_PARAMETER_INVALID")
    assert caught.value.type == "epcisException:QueryParameterException"
    with pytest.raises(ValidationError) as caught:
        admin.audit.query_events(per_page=0)
    assert caught.value.code == "QUERY_PARAMETER_INVALID"


def test_hierarchy_lets_callers_catch_broadly(admin: M2MClient) -> None:
    with pytest.raises(APIError):
        admin.m2m.get_device(unique_id("broad"))
    assert issubclass(NotFoundError, M2MError) and issubclass(M2MConnectionError, M2MError)
    assert not issubclass(M2MConnectionError, APIError)


def test_connection_refused_is_connection_error() -> None:
    # A port that was just free: nothing listens there.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with M2MClient(base_url=f"http://127.0.0.1:{port}", max_retries=1, backoff_factor=0.01) as client:
        with pytest.raises(M2MConnectionError) as caught:
            client.m2m.get_device("anything")
    assert caught.value.status is None and caught.value.code == "NETWORK_ERROR"  # as the TypeScript SDK's M2MNetworkError
