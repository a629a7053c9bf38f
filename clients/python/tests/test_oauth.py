"""OAuth 2.0 client credentials with private_key_jwt, against the real server: with this SDK and with Authlib."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import OKPKey

from m2m_trust import AuthenticationError, M2MClient, client_assertion, generate_key_pair
from support import RunningServer, unique_id


def _register(admin: M2MClient) -> tuple[str, Any]:
    keys = generate_key_pair()
    device_id = unique_id("oauth-py")
    admin.m2m.register_device(device_id=device_id, public_key=keys.public_key)
    return device_id, keys.private_key


def _introspect(server: RunningServer, token: str) -> dict[str, Any]:
    answer = httpx.post(f"{server.url}/oauth2/introspect", data={"token": token}, headers={"authorization": f"Bearer {server.admin_key}"})
    answer.raise_for_status()
    return dict(answer.json())


def test_request_token_with_the_sdk(admin: M2MClient, device_client: M2MClient, server: RunningServer) -> None:
    device_id, private_key = _register(admin)
    token = device_client.m2m.request_token(device_id=device_id, private_key=private_key)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 300
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["sub"] == device_id
    assert claims["exp"] - claims["iat"] == 300
    assert _introspect(server, token["access_token"])["active"] is True


def test_a_reused_assertion_is_refused_with_the_rfc_6749_code(admin: M2MClient, device_client: M2MClient, server: RunningServer) -> None:
    device_id, private_key = _register(admin)
    assertion = client_assertion(device_id, private_key, audience=f"{server.url}/oauth2/token")
    form = {"grant_type": "client_credentials", "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": assertion}
    assert httpx.post(f"{server.url}/oauth2/token", data=form).status_code == 200
    again = httpx.post(f"{server.url}/oauth2/token", data=form)
    assert again.status_code == 401
    assert again.json()["error"] == "invalid_client"


def test_a_foreign_key_raises_authentication_error(admin: M2MClient, device_client: M2MClient) -> None:
    device_id, _ = _register(admin)
    with pytest.raises(AuthenticationError) as refused:
        device_client.m2m.request_token(device_id=device_id, private_key=generate_key_pair().private_key)
    assert refused.value.code == "invalid_client"
    assert refused.value.status == 401


def test_authlib_obtains_a_token_with_private_key_jwt(admin: M2MClient, server: RunningServer) -> None:
    """Interoperability: a standard OAuth client library, configured only with the server's metadata."""
    device_id, private_key = _register(admin)
    metadata = httpx.get(f"{server.url}/.well-known/oauth-authorization-server").json()
    assert "private_key_jwt" in metadata["token_endpoint_auth_methods_supported"]
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    client = OAuth2Client(
        client_id=device_id,
        # Authlib reads a bare PEM as an RSA key: an Ed25519 key goes in as joserfc's OKP key (Authlib's own JOSE layer).
        client_secret=OKPKey.import_key(pem),
        # Authlib's assertions live an hour by default; the server accepts at most M2M_CLIENT_ASSERTION_MAX_SECONDS (300).
        token_endpoint_auth_method=PrivateKeyJWT(metadata["token_endpoint"], alg="EdDSA", claims={"exp": int(time.time()) + 60}),
    )
    try:
        token = client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    finally:
        client.close()
    assert token["token_type"] == "Bearer"
    assert token["expires_at"] > time.time()
    assert _introspect(server, token["access_token"])["sub"] == device_id
