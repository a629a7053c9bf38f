"""Device side of the protocol: Ed25519 keys, and a careful ``sign_challenge``.

The nonce format and the checks are those of docs/protocol.md
(``m2m-trust-challenge/v1``). A device signs exactly the UTF-8 bytes of the
nonce, with plain Ed25519 (RFC 8032), and only after checking that the nonce is
well formed, names this device and the audience it meant to talk to, matches the
challenge's ``id`` and ``expiresAt``, and has not expired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional, Union

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import ChallengeRefusedError

__all__ = [
    "NONCE_LABEL",
    "ALGORITHM",
    "DEFAULT_MAX_CLOCK_SKEW",
    "ChallengeNonce",
    "KeyPair",
    "PrivateKeyLike",
    "generate_key_pair",
    "load_private_key",
    "public_key_hex",
    "parse_nonce",
    "sign_challenge",
    "device_epc",
]

NONCE_LABEL = "m2m-trust-challenge/v1"
ALGORITHM = "Ed25519"
#: Seconds a device's clock may run ahead of the service's before it wrongly refuses a challenge as expired.
DEFAULT_MAX_CLOCK_SKEW = 5.0

#: An ``Ed25519PrivateKey``, a PEM (PKCS#8) private key as ``str``/``bytes``, a DER PKCS#8 key,
#: the raw 32-byte seed, or the seed as 64 hex characters.
PrivateKeyLike = Union[Ed25519PrivateKey, bytes, str]

# Field name -> pattern of its value, in the one order the fields appear.
_FIELDS: tuple[tuple[str, str, "re.Pattern[str]"], ...] = (
    ("aud", "audience", re.compile(r"[^;\s]+")),
    ("cid", "challenge id (a UUID)", re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")),
    ("did", "device id", re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")),
    # 32 bytes, unpadded base64url: 43 characters, the last one with its two spare bits zero.
    ("rnd", "random (32 bytes, unpadded base64url)", re.compile(r"[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]")),
    ("exp", "expiry (RFC 3339 UTC with milliseconds)", re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")),
)


@dataclass(frozen=True)
class ChallengeNonce:
    """The fields of a parsed ``m2m-trust-challenge/v1`` nonce."""

    audience: str
    challenge_id: str
    device_id: str
    random: str
    expires_at: str
    """As written in the nonce, e.g. ``"2026-11-21T08:01:00.000Z"``."""

    @property
    def expires(self) -> datetime:
        """``expires_at`` as an aware UTC ``datetime``."""
        return _parse_exp(self.expires_at)


def _parse_exp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _malformed(why: str) -> ChallengeRefusedError:
    return ChallengeRefusedError(f"NONCE_MALFORMED: {why}", code="NONCE_MALFORMED", detail=why)


def parse_nonce(nonce: str) -> ChallengeNonce:
    """Parses a nonce strictly; raises :class:`ChallengeRefusedError` (``NONCE_MALFORMED``) if it is not one.

    ``m2m-trust-challenge/v1;aud=<audience>;cid=<challengeId>;did=<deviceId>;rnd=<random>;exp=<expiresAt>``:
    each field once, in this order, no white space, no trailing newline.
    """
    if not isinstance(nonce, str):
        raise _malformed(f"the nonce must be a string, not {type(nonce).__name__}")
    parts = nonce.split(";")
    if parts[0] != NONCE_LABEL:
        raise _malformed(f"the nonce does not start with the label {NONCE_LABEL!r}")
    if len(parts) != 1 + len(_FIELDS):
        raise _malformed(f"the nonce has {len(parts) - 1} fields, expected {len(_FIELDS)} (aud, cid, did, rnd, exp)")
    values: dict[str, str] = {}
    for part, (name, meaning, pattern) in zip(parts[1:], _FIELDS):
        key, sep, value = part.partition("=")
        if not sep or key != name:
            raise _malformed(f"expected the field {name!r} ({meaning}), found {part[:40]!r}")
        if not pattern.fullmatch(value):
            raise _malformed(f"the field {name!r} is not a valid {meaning}: {value[:80]!r}")
        values[name] = value
    try:
        _parse_exp(values["exp"])
    except ValueError:
        raise _malformed(f"the field 'exp' is not a real date and time: {values['exp']!r}") from None
    return ChallengeNonce(
        audience=values["aud"],
        challenge_id=values["cid"],
        device_id=values["did"],
        random=values["rnd"],
        expires_at=values["exp"],
    )


def _refuse(code: str, why: str) -> ChallengeRefusedError:
    return ChallengeRefusedError(f"{code}: {why}", code=code, detail=why)


def load_private_key(key: PrivateKeyLike, *, password: Optional[bytes] = None) -> Ed25519PrivateKey:
    """An ``Ed25519PrivateKey`` from any :data:`PrivateKeyLike` form."""
    if isinstance(key, Ed25519PrivateKey):
        return key
    if isinstance(key, str):
        text = key.strip()
        if re.fullmatch(r"[0-9a-fA-F]{64}", text):
            return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))
        if not text.startswith("-----BEGIN"):
            raise ValueError("a private key string must be PEM or a 32-byte seed as 64 hex characters")
        key = text.encode("ascii")
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise TypeError(f"unsupported private key type: {type(key).__name__}")
    data = bytes(key)
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    if data.lstrip().startswith(b"-----BEGIN"):
        loaded = serialization.load_pem_private_key(data, password=password)
    else:
        loaded = serialization.load_der_private_key(data, password=password)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"not an Ed25519 private key: {type(loaded).__name__}")
    return loaded


def public_key_hex(key: Union[PrivateKeyLike, Ed25519PublicKey]) -> str:
    """The raw 32-byte public key as 64 lowercase hex characters (what ``register_device`` takes)."""
    public = key if isinstance(key, Ed25519PublicKey) else load_private_key(key).public_key()
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


@dataclass(frozen=True)
class KeyPair:
    """A device key pair. ``public_key`` is the raw public key in hex, ready to register."""

    private_key: Ed25519PrivateKey
    public_key: str

    @classmethod
    def from_private_key(cls, key: PrivateKeyLike) -> "KeyPair":
        private = load_private_key(key)
        return cls(private_key=private, public_key=public_key_hex(private))

    def private_key_pem(self, password: Optional[bytes] = None) -> str:
        """PKCS#8 PEM (encrypted with ``password`` if given); ``openssl pkeyutl`` and Node read it too."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
        )
        return self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode("ascii")

    def private_key_raw(self) -> bytes:
        """The 32-byte seed (RFC 8032 private key)."""
        return self.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())

    def private_key_hex(self) -> str:
        return self.private_key_raw().hex()


def generate_key_pair() -> KeyPair:
    """A fresh Ed25519 key pair from the operating system's CSPRNG."""
    return KeyPair.from_private_key(Ed25519PrivateKey.generate())


def sign_challenge(
    challenge: Mapping[str, Any],
    private_key: PrivateKeyLike,
    *,
    device_id: str,
    audience: str,
    now: Optional[datetime] = None,
    max_clock_skew: float = DEFAULT_MAX_CLOCK_SKEW,
) -> str:
    """Signs ``challenge["nonce"]`` and returns the signature as 128 hex characters, or refuses.

    ``challenge`` is the answer of ``POST /v1/challenges``. Raises
    :class:`ChallengeRefusedError` without signing unless: the nonce parses
    strictly; its label is ``m2m-trust-challenge/v1``; ``did`` is ``device_id``;
    ``aud`` is ``audience`` (exactly, as configured on the service as
    ``M2M_AUDIENCE``); ``cid`` equals ``challenge["id"]`` and ``exp`` equals
    ``challenge["expiresAt"]``; and ``exp`` is still in the future by this
    device's clock (``now``, default the current time), allowing the clock to
    run up to ``max_clock_skew`` seconds ahead of the service's.
    """
    algorithm = challenge.get("algorithm", ALGORITHM)
    if algorithm != ALGORITHM:
        raise _refuse("ALGORITHM_UNSUPPORTED", f"the challenge asks for {algorithm!r}, this device signs only {ALGORITHM}")
    nonce = challenge.get("nonce")
    if not isinstance(nonce, str):
        raise _malformed("the challenge has no nonce string")
    parsed = parse_nonce(nonce)
    if parsed.device_id != device_id:
        raise _refuse("DEVICE_MISMATCH", f"the nonce is for device {parsed.device_id!r}, this is {device_id!r}")
    answered_device = challenge.get("deviceId")
    if answered_device is not None and answered_device != device_id:
        raise _refuse("DEVICE_MISMATCH", f"the challenge is for device {answered_device!r}, this is {device_id!r}")
    if parsed.audience != audience:
        raise _refuse("AUDIENCE_MISMATCH", f"the nonce is for audience {parsed.audience!r}, this device expects {audience!r}")
    if challenge.get("id") != parsed.challenge_id:
        raise _refuse(
            "CHALLENGE_ID_MISMATCH", f"the nonce names challenge {parsed.challenge_id!r} but the challenge id is {challenge.get('id')!r}"
        )
    if challenge.get("expiresAt") != parsed.expires_at:
        raise _refuse(
            "EXPIRY_MISMATCH", f"the nonce expires at {parsed.expires_at!r} but the challenge says {challenge.get('expiresAt')!r}"
        )
    current = now if now is not None else datetime.now(timezone.utc)
    if current.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if parsed.expires + timedelta(seconds=max_clock_skew) <= current:
        raise _refuse("CHALLENGE_EXPIRED", f"the challenge expired at {parsed.expires_at} (now {current.isoformat()})")
    return load_private_key(private_key).sign(nonce.encode("utf-8")).hex()


def device_epc(device_id: str) -> str:
    """The EPC of a device in the audit log: ``urn:m2m-trust:device:<deviceId>``."""
    return f"urn:m2m-trust:device:{device_id}"
