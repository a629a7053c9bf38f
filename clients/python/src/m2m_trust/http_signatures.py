"""HTTP Message Signatures (RFC 9421) for device requests: Ed25519 with the device key.

A device may call the service's device-authenticated routes (``GET /v1/me``, …) with a
signed request instead of an access token (docs/http-signatures.md): ``keyid`` is the
device id, the signature covers ``@method``, ``@target-uri`` and ``content-digest``
(RFC 9530) and carries ``created``; the service accepts each signature (or nonce) once.

>>> headers = sign_request("GET", "https://m2m.example.com/v1/me", device_id="scanner-7", private_key=seed)  # doctest: +SKIP
>>> httpx.get("https://m2m.example.com/v1/me", headers=headers)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from datetime import datetime
from typing import Mapping, Optional, Sequence, Union
from urllib.parse import urlsplit

from .device import PrivateKeyLike, load_private_key

__all__ = [
    "DEFAULT_SIGNED_COMPONENTS",
    "content_digest",
    "signature_base",
    "sign_request",
]

#: What the service requires a signature to cover (``created`` besides).
DEFAULT_SIGNED_COMPONENTS: tuple[str, ...] = ("@method", "@target-uri", "content-digest")

Body = Union[bytes, str, None]
Instant = Union[datetime, float, int]

_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_PRINTABLE = re.compile(r"[\x20-\x7e]*")


def _bytes(body: Body) -> bytes:
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def content_digest(body: Body, algorithm: str = "sha-256") -> str:
    """The RFC 9530 ``Content-Digest`` value, e.g. ``sha-256=:X48E…:``; ``algorithm`` is ``sha-256`` or ``sha-512``."""
    if algorithm not in _DIGESTS:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}: use sha-256 or sha-512")
    digest = _DIGESTS[algorithm](_bytes(body)).digest()
    return f"{algorithm}=:{base64.b64encode(digest).decode('ascii')}:"


def _sf_string(value: str) -> str:
    if not _PRINTABLE.fullmatch(value):
        raise ValueError("signature parameters and component names must be printable ASCII")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _url_parts(url: str) -> tuple[str, str, str, str]:
    """Scheme, authority, path and query as a WHATWG URL normalizes them: what an HTTP client sends."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("the URL must be absolute http(s)")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    authority = host if parts.port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{parts.port}"
    return scheme, authority, parts.path or "/", parts.query


def signature_base(method: str, url: str, headers: Mapping[str, str], components: Sequence[str], signature_params: str) -> str:
    """The RFC 9421 §2.5 signature base for components without parameters and a ``@signature-params`` value."""
    scheme, authority, path, query = _url_parts(url)
    target_uri = f"{scheme}://{authority}{path}" + (f"?{query}" if query else "")
    derived = {
        "@method": method.upper(),
        "@target-uri": target_uri,
        "@authority": authority,
        "@scheme": scheme,
        "@request-target": path + (f"?{query}" if query else ""),
        "@path": path,
        "@query": f"?{query}",
    }
    fields = {name.lower(): value for name, value in headers.items()}
    lines = []
    for name in components:
        if name.startswith("@"):
            if name not in derived:
                raise ValueError(f"the derived component {name} is not supported")
            value = derived[name]
        elif name in fields:
            value = fields[name].strip()
        else:
            raise ValueError(f"the covered field {name} is not in the request's headers")
        lines.append(f"{_sf_string(name)}: {value}")
    lines.append(f'"@signature-params": {signature_params}')
    return "\n".join(lines)


def _seconds(at: Instant) -> int:
    return int(at.timestamp()) if isinstance(at, datetime) else int(at)


def sign_request(
    method: str,
    url: str,
    *,
    device_id: str,
    private_key: PrivateKeyLike,
    headers: Optional[Mapping[str, str]] = None,
    body: Body = None,
    components: Sequence[str] = DEFAULT_SIGNED_COMPONENTS,
    label: str = "sig1",
    created: Optional[Instant] = None,
    expires: Optional[Instant] = None,
    nonce: Union[str, bool, None] = None,
    tag: Optional[str] = None,
    include_alg: bool = True,
    digest_algorithm: str = "sha-256",
) -> dict[str, str]:
    """Signs a request; returns the header fields to send with it.

    ``url`` is the absolute URL the service sees: its public URL (``M2M_AUDIENCE``) when one
    is configured. ``created`` and ``expires`` are datetimes or Unix seconds (default: now).
    ``nonce`` defaults to 16 random bytes, base64url; ``False`` sends none (the service then
    refuses the same signature twice, so two identical requests in one second would collide).
    Adds ``content-digest`` when it is covered and not in ``headers``. Send the request with
    exactly this method, URL, covered headers and body.
    """
    if not _KEY.fullmatch(label):
        raise ValueError('a signature label is lowercase letters, digits, "_", "-", "." or "*", starting with a letter')
    for name in components:
        if name != name.lower():
            raise ValueError(f"component names are lowercase: {name}")
    fields = {name.lower(): value for name, value in (headers or {}).items()}
    added: dict[str, str] = {}
    if "content-digest" in components and "content-digest" not in fields:
        added["content-digest"] = fields["content-digest"] = content_digest(body, digest_algorithm)

    chosen_nonce = secrets.token_urlsafe(16) if nonce is None or nonce is True else nonce
    params = f";created={_seconds(created if created is not None else time.time())}"
    if expires is not None:
        params += f";expires={_seconds(expires)}"
    if chosen_nonce is not False:
        params += f";nonce={_sf_string(chosen_nonce)}"
    params += f";keyid={_sf_string(device_id)}"
    if include_alg:
        params += ';alg="ed25519"'
    if tag is not None:
        params += f";tag={_sf_string(tag)}"
    signature_params = "(" + " ".join(_sf_string(name) for name in components) + ")" + params

    base = signature_base(method, url, fields, components, signature_params)
    signature = load_private_key(private_key).sign(base.encode("utf-8"))
    return {
        **added,
        "signature-input": f"{label}={signature_params}",
        "signature": f"{label}=:{base64.b64encode(signature).decode('ascii')}:",
    }
