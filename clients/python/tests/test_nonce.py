"""What a careful device checks before signing (docs/protocol.md), offline and against the real server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

from m2m_trust import ChallengeRefusedError, M2MClient, generate_key_pair, parse_nonce, sign_challenge
from support import AUDIENCE, Device

KEYS = generate_key_pair()
DEVICE = "scanner-floor-3"
AUD = "https://auth.example.com"
CID = "0f8c1c5e-3f5a-4c1e-9a4e-6d2b8f7a1c01"
RND = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
EXP = "2030-01-01T00:00:00.000Z"
NOW = datetime(2029, 12, 31, 23, 59, 0, tzinfo=timezone.utc)
NONCE = f"m2m-trust-challenge/v1;aud={AUD};cid={CID};did={DEVICE};rnd={RND};exp={EXP}"


def challenge(nonce: Any = NONCE, **overrides: Any) -> dict[str, Any]:
    return {"id": CID, "deviceId": DEVICE, "nonce": nonce, "algorithm": "Ed25519", "expiresAt": EXP, **overrides}


def refusal(ch: dict[str, Any], *, device_id: str = DEVICE, audience: str = AUD, now: datetime = NOW, **kw: Any) -> ChallengeRefusedError:
    with pytest.raises(ChallengeRefusedError) as caught:
        sign_challenge(ch, KEYS.private_key, device_id=device_id, audience=audience, now=now, **kw)
    assert caught.value.status is None
    return caught.value


def test_a_good_challenge_is_signed() -> None:
    signature = sign_challenge(challenge(), KEYS.private_key, device_id=DEVICE, audience=AUD, now=NOW)
    KEYS.private_key.public_key().verify(bytes.fromhex(signature), NONCE.encode("utf-8"))


def test_parse_nonce_fields() -> None:
    fields = parse_nonce(NONCE)
    assert (fields.audience, fields.challenge_id, fields.device_id, fields.random, fields.expires_at) == (AUD, CID, DEVICE, RND, EXP)
    assert fields.expires == datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_refuses_a_nonce_for_another_device() -> None:
    assert refusal(challenge(), device_id="scanner-floor-4").code == "DEVICE_MISMATCH"
    # the answer's deviceId disagreeing with this device is refused too
    other = NONCE.replace(f"did={DEVICE}", "did=robot-1")
    assert refusal(challenge(other, deviceId="robot-1")).code == "DEVICE_MISMATCH"


def test_refuses_a_nonce_for_another_audience() -> None:
    error = refusal(challenge(), audience="https://auth.example.org")
    assert error.code == "AUDIENCE_MISMATCH"
    assert "https://auth.example.com" in str(error)
    assert refusal(challenge(), audience=AUD + "/").code == "AUDIENCE_MISMATCH"  # exact, no normalisation


def test_refuses_an_expired_challenge_allowing_for_skew() -> None:
    expiry = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert refusal(challenge(), now=expiry + timedelta(seconds=5)).code == "CHALLENGE_EXPIRED"
    assert refusal(challenge(), now=expiry + timedelta(days=1)).code == "CHALLENGE_EXPIRED"
    assert refusal(challenge(), now=expiry, max_clock_skew=0).code == "CHALLENGE_EXPIRED"
    # a device clock slightly ahead of the service's still signs (default skew 5 s)
    assert sign_challenge(challenge(), KEYS.private_key, device_id=DEVICE, audience=AUD, now=expiry + timedelta(seconds=4))
    with pytest.raises(ValueError):
        sign_challenge(challenge(), KEYS.private_key, device_id=DEVICE, audience=AUD, now=datetime(2029, 1, 1))


def test_refuses_when_the_nonce_and_the_challenge_disagree() -> None:
    assert refusal(challenge(id="7d0f6a62-1b3c-4b8e-8f51-2e7c9d4a6b02")).code == "CHALLENGE_ID_MISMATCH"
    assert refusal(challenge(expiresAt="2031-01-01T00:00:00.000Z")).code == "EXPIRY_MISMATCH"
    no_id = challenge()
    del no_id["id"]
    assert refusal(no_id).code == "CHALLENGE_ID_MISMATCH"
    assert refusal(challenge(algorithm="Ed448")).code == "ALGORITHM_UNSUPPORTED"


MALFORMED = {
    "trailing newline": NONCE + "\n",
    "leading space": " " + NONCE,
    "other label": NONCE.replace("m2m-trust-challenge/v1", "m2m-trust-challenge/v2"),
    "no label": NONCE.replace("m2m-trust-challenge/v1;", ""),
    "label case": NONCE.replace("m2m-trust-challenge", "M2M-trust-challenge"),
    "fields reordered": f"m2m-trust-challenge/v1;cid={CID};aud={AUD};did={DEVICE};rnd={RND};exp={EXP}",
    "field missing": f"m2m-trust-challenge/v1;aud={AUD};cid={CID};did={DEVICE};exp={EXP}",
    "field repeated": NONCE + f";exp={EXP}",
    "trailing separator": NONCE + ";",
    "empty audience": NONCE.replace(f"aud={AUD}", "aud="),
    "space in audience": NONCE.replace(f"aud={AUD}", "aud=https://auth example.com"),
    "tab in audience": NONCE.replace(f"aud={AUD}", "aud=https://auth\texample.com"),
    "name without =": NONCE.replace(f"aud={AUD}", f"aud{AUD}"),
    "cid not a uuid": NONCE.replace(CID, "0f8c1c5e3f5a4c1e9a4e6d2b8f7a1c01"),
    "cid too short": NONCE.replace(CID, CID[:-1]),
    "did bad characters": NONCE.replace(f"did={DEVICE}", "did=scanner/floor"),
    "did starts with dash": NONCE.replace(f"did={DEVICE}", "did=-scanner"),
    "rnd too short": NONCE.replace(RND, RND[:-1]),
    "rnd too long": NONCE.replace(RND, RND + "A"),
    "rnd padded": NONCE.replace(RND, RND + "="),
    "rnd not base64url": NONCE.replace(RND, RND[:-2] + "+8"),
    "rnd non-canonical last character": NONCE.replace(RND, RND[:-1] + "9"),
    "exp without milliseconds": NONCE.replace(EXP, "2030-01-01T00:00:00Z"),
    "exp with offset": NONCE.replace(EXP, "2030-01-01T00:00:00.000+00:00"),
    "exp not a date": NONCE.replace(EXP, "2030-02-30T00:00:00.000Z"),
    "exp lowercase z": NONCE.replace(EXP, "2030-01-01T00:00:00.000z"),
    "empty": "",
}


@pytest.mark.parametrize("nonce", list(MALFORMED.values()), ids=list(MALFORMED))
def test_refuses_malformed_nonces(nonce: str) -> None:
    with pytest.raises(ChallengeRefusedError) as caught:
        parse_nonce(nonce)
    assert caught.value.code == "NONCE_MALFORMED"
    assert refusal(challenge(nonce)).code == "NONCE_MALFORMED"


def test_refuses_a_challenge_without_a_nonce_string() -> None:
    assert refusal(challenge(nonce=None)).code == "NONCE_MALFORMED"
    assert refusal(challenge(nonce=NONCE.encode())).code == "NONCE_MALFORMED"


def test_uppercase_uuid_and_base64url_alphabet_are_well_formed() -> None:
    rnd = "_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-8"
    nonce = NONCE.replace(CID, CID.upper()).replace(RND, rnd)
    fields = parse_nonce(nonce)
    assert fields.challenge_id == CID.upper() and fields.random == rnd


def test_real_challenge_checks_and_a_refusal_consumes_nothing(device_client: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("careful")
    other = new_device("careful-other")
    real = device_client.m2m.initiate_challenge(device.device_id)

    with pytest.raises(ChallengeRefusedError) as caught:
        sign_challenge(real, device.keys.private_key, device_id=device.device_id, audience="https://evil.example")
    assert caught.value.code == "AUDIENCE_MISMATCH"
    with pytest.raises(ChallengeRefusedError) as caught:
        sign_challenge(real, other.keys.private_key, device_id=other.device_id, audience=AUDIENCE)
    assert caught.value.code == "DEVICE_MISMATCH"
    with pytest.raises(ChallengeRefusedError) as caught:
        sign_challenge(
            real,
            device.keys.private_key,
            device_id=device.device_id,
            audience=AUDIENCE,
            now=parse_nonce(real["nonce"]).expires + timedelta(minutes=1),
        )
    assert caught.value.code == "CHALLENGE_EXPIRED"
    tampered = dict(real, nonce=real["nonce"] + "\n")
    with pytest.raises(ChallengeRefusedError) as caught:
        sign_challenge(tampered, device.keys.private_key, device_id=device.device_id, audience=AUDIENCE)
    assert caught.value.code == "NONCE_MALFORMED"

    # Nothing was signed or sent: the challenge is still good.
    signature = sign_challenge(real, device.keys.private_key, device_id=device.device_id, audience=AUDIENCE)
    assert device_client.m2m.verify(challenge_id=real["id"], signature=signature)["verified"] is True


def test_authenticate_refuses_before_verifying(device_client: M2MClient, admin: M2MClient, new_device: Callable[..., Device]) -> None:
    device = new_device("auth-refuses")
    with pytest.raises(ChallengeRefusedError) as caught:
        device_client.m2m.authenticate(
            device_id=device.device_id, private_key=device.keys.private_key, audience="https://elsewhere.example"
        )
    assert caught.value.code == "AUDIENCE_MISMATCH"
    # No verify happened, so no authentication event (success or failure) was audited.
    steps = [e["bizStep"] for e in admin.audit.iter_events(device_id=device.device_id)]
    assert steps == ["commissioning"]
