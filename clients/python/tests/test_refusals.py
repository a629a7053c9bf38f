"""Verify refusals from the real server: answers ``{verified: False, reason}``, not exceptions."""

from __future__ import annotations

import base64
import uuid
from typing import Callable

from m2m_trust import M2MClient, generate_key_pair, sign_challenge
from support import AUDIENCE, Device

L = 2**252 + 27742317777372353535851937790883648493  # order of the Ed25519 base point


def test_signature_by_another_key_is_signature_invalid(device_client: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("wrong-key")
    impostor = generate_key_pair()
    challenge = device_client.m2m.initiate_challenge(device.device_id)
    signature = sign_challenge(challenge, impostor.private_key, device_id=device.device_id, audience=AUDIENCE)
    result = device_client.m2m.verify(challenge_id=challenge["id"], signature=signature)
    assert result == {"verified": False, "reason": "SIGNATURE_INVALID"}


def test_signature_for_another_challenge_is_signature_invalid(device_client: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("other-challenge")
    first = device_client.m2m.initiate_challenge(device.device_id)
    second = device_client.m2m.initiate_challenge(device.device_id)
    signature = sign_challenge(first, device.keys.private_key, device_id=device.device_id, audience=AUDIENCE)
    assert device_client.m2m.verify(challenge_id=second["id"], signature=signature) == {"verified": False, "reason": "SIGNATURE_INVALID"}


def test_replay_is_challenge_already_used(device_client: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("replay")
    challenge = device_client.m2m.initiate_challenge(device.device_id)
    signature = sign_challenge(challenge, device.keys.private_key, device_id=device.device_id, audience=AUDIENCE)
    assert device_client.m2m.verify(challenge_id=challenge["id"], signature=signature)["verified"] is True
    assert device_client.m2m.verify(challenge_id=challenge["id"], signature=signature) == {
        "verified": False,
        "reason": "CHALLENGE_ALREADY_USED",
    }


def test_a_failed_attempt_also_consumes_the_challenge(device_client: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("consumed")
    challenge = device_client.m2m.initiate_challenge(device.device_id)
    good = sign_challenge(challenge, device.keys.private_key, device_id=device.device_id, audience=AUDIENCE)
    bad = sign_challenge(challenge, generate_key_pair().private_key, device_id=device.device_id, audience=AUDIENCE)
    assert device_client.m2m.verify(challenge_id=challenge["id"], signature=bad)["reason"] == "SIGNATURE_INVALID"
    assert device_client.m2m.verify(challenge_id=challenge["id"], signature=good)["reason"] == "CHALLENGE_ALREADY_USED"


def test_revoked_device_is_refused_even_for_an_earlier_challenge(
    admin: M2MClient, device_client: M2MClient, new_device: Callable[..., Device]
) -> None:
    device = new_device("revoked")
    challenge = device_client.m2m.initiate_challenge(device.device_id)
    signature = sign_challenge(challenge, device.keys.private_key, device_id=device.device_id, audience=AUDIENCE)
    admin.m2m.revoke_device(device.device_id, reason="stolen")
    assert device_client.m2m.verify(challenge_id=challenge["id"], signature=signature) == {"verified": False, "reason": "DEVICE_REVOKED"}


def test_unknown_challenge_is_challenge_not_found(device_client: M2MClient) -> None:
    result = device_client.m2m.verify(challenge_id=str(uuid.uuid4()), signature="11" * 64)
    assert result == {"verified": False, "reason": "CHALLENGE_NOT_FOUND"}


def test_malleated_signature_is_signature_non_canonical(device_client: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("malleated")
    challenge = device_client.m2m.initiate_challenge(device.device_id)
    signature = bytes.fromhex(sign_challenge(challenge, device.keys.private_key, device_id=device.device_id, audience=AUDIENCE))
    s = int.from_bytes(signature[32:], "little") + L
    malleated = (signature[:32] + s.to_bytes(32, "little")).hex()
    assert device_client.m2m.verify(challenge_id=challenge["id"], signature=malleated) == {
        "verified": False,
        "reason": "SIGNATURE_NON_CANONICAL",
    }


def test_base64url_signature_is_accepted(device_client: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("b64sig")
    challenge = device_client.m2m.initiate_challenge(device.device_id)
    signature = bytes.fromhex(sign_challenge(challenge, device.keys.private_key, device_id=device.device_id, audience=AUDIENCE))
    encoded = base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    assert len(encoded) == 86
    assert device_client.m2m.verify(challenge_id=challenge["id"], signature=encoded)["verified"] is True
