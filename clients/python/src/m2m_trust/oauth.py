"""OAuth 2.0 client authentication with the device's own key (RFC 7523 ``private_key_jwt``)."""

from __future__ import annotations

import time
import uuid

import jwt

from .device import PrivateKeyLike, load_private_key

#: ``client_assertion_type`` of a JWT client assertion (RFC 7523 section 2.2).
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def client_assertion(device_id: str, private_key: PrivateKeyLike, *, audience: str, lifetime: int = 60) -> str:
    """A single-use client assertion: an EdDSA JWT with ``iss`` = ``sub`` = ``device_id``.

    ``audience`` is the token endpoint's URL (or the server's issuer identifier); ``lifetime``
    seconds must stay within what the server accepts (``M2M_CLIENT_ASSERTION_MAX_SECONDS``,
    300 by default). A fresh random ``jti`` makes each assertion usable once.
    """
    if lifetime <= 0:
        raise ValueError("lifetime must be positive")
    now = int(time.time())
    claims = {"iss": device_id, "sub": device_id, "aud": audience, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, load_private_key(private_key), algorithm="EdDSA")
