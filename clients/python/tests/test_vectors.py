"""docs/protocol/vectors.json: parse the nonces, verify the signatures with `cryptography`, and sign them again."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from m2m_trust import ChallengeRefusedError, KeyPair, load_private_key, parse_nonce, public_key_hex, sign_challenge
from support import VECTORS_FILE

_INVALID_SIGNATURES: list[dict[str, Any]] = (
    json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["invalidSignatures"] if VECTORS_FILE.is_file() else []
)


def _challenge(vector: dict[str, Any]) -> dict[str, Any]:
    fields = vector["fields"]
    return {
        "id": fields["challengeId"],
        "deviceId": fields["deviceId"],
        "nonce": vector["nonce"],
        "algorithm": "Ed25519",
        "expiresAt": fields["expiresAt"],
    }


def test_the_vectors_file_has_what_the_tests_use(vectors: dict[str, Any]) -> None:
    assert len(vectors["valid"]) >= 2
    assert len(vectors["invalidSignatures"]) >= 4
    assert {v["expected"] for v in vectors["invalidSignatures"]} == {"SIGNATURE_NON_CANONICAL", "SIGNATURE_INVALID"}


def test_valid_vectors_parse_into_their_fields(vectors: dict[str, Any]) -> None:
    for vector in vectors["valid"]:
        parsed = parse_nonce(vector["nonce"])
        assert {
            "audience": parsed.audience,
            "challengeId": parsed.challenge_id,
            "deviceId": parsed.device_id,
            "random": parsed.random,
            "expiresAt": parsed.expires_at,
        } == vector["fields"]
        assert parsed.device_id == vector["deviceId"]


def test_valid_vector_signatures_verify_with_cryptography(vectors: dict[str, Any]) -> None:
    for vector in vectors["valid"]:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(vector["publicKey"]))
        public.verify(bytes.fromhex(vector["signature"]), vector["nonce"].encode("utf-8"))  # raises if invalid


def test_signing_with_the_vector_seed_gives_the_vector_signature(vectors: dict[str, Any]) -> None:
    for vector in vectors["valid"]:
        keys = KeyPair.from_private_key(vector["privateKeySeed"])
        assert keys.public_key == vector["publicKey"]
        assert public_key_hex(bytes.fromhex(vector["privateKeySeed"])) == vector["publicKey"]
        assert keys.private_key_hex() == vector["privateKeySeed"]
        # The vectors' expiry may be in the past: sign as a device would have just before it.
        before_expiry = parse_nonce(vector["nonce"]).expires - timedelta(seconds=30)
        signature = sign_challenge(
            _challenge(vector),
            vector["privateKeySeed"],
            device_id=vector["deviceId"],
            audience=vector["fields"]["audience"],
            now=before_expiry,
        )
        assert signature == vector["signature"]  # Ed25519 is deterministic
        # the same through a PEM round trip
        pem = keys.private_key_pem()
        assert (
            sign_challenge(
                _challenge(vector),
                load_private_key(pem),
                device_id=vector["deviceId"],
                audience=vector["fields"]["audience"],
                now=before_expiry,
            )
            == vector["signature"]
        )


def test_valid_vectors_are_refused_by_another_device_or_audience(vectors: dict[str, Any]) -> None:
    first, second = vectors["valid"][:2]
    before_expiry = parse_nonce(first["nonce"]).expires - timedelta(seconds=30)
    with pytest.raises(ChallengeRefusedError) as caught:
        sign_challenge(
            _challenge(first),
            first["privateKeySeed"],
            device_id=second["deviceId"],
            audience=first["fields"]["audience"],
            now=before_expiry,
        )
    assert caught.value.code == "DEVICE_MISMATCH"
    with pytest.raises(ChallengeRefusedError) as caught:
        sign_challenge(
            _challenge(first),
            first["privateKeySeed"],
            device_id=first["deviceId"],
            audience=second["fields"]["audience"],
            now=before_expiry,
        )
    assert caught.value.code == "AUDIENCE_MISMATCH"


@pytest.mark.parametrize("vector", _INVALID_SIGNATURES, ids=[v["name"] for v in _INVALID_SIGNATURES])
def test_invalid_signature_vectors_do_not_verify_with_cryptography(vector: dict[str, Any]) -> None:
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(vector["publicKey"]))
    with pytest.raises(InvalidSignature):
        public.verify(bytes.fromhex(vector["signature"]), vector["nonce"].encode("utf-8"))
