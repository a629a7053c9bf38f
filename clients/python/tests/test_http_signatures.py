"""HTTP Message Signatures (RFC 9421): the RFC's own Ed25519 example, then the real server's GET /v1/me."""

from __future__ import annotations

import base64
import re
from typing import Callable

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from m2m_trust import DEFAULT_SIGNED_COMPONENTS, content_digest, load_private_key, sign_request, signature_base
from support import Device, RunningServer

# RFC 9421 Appendix B.1.4 ("test-key-ed25519") and the B.2 test request.
RFC_PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n"
)
RFC_PUBLIC_KEY_X = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"
RFC_URL = "https://example.com/foo?param=Value&Pet=dog"
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    "Content-Length": "18",
}
# Appendix B.2.6.
B26_COMPONENTS = ("date", "@method", "@path", "@authority", "content-type", "content-length")
B26_PARAMS = '("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"'
B26_BASE = "\n".join(
    [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-length": 18',
        f'"@signature-params": {B26_PARAMS}',
    ]
)
B26_SIGNATURE = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="


def test_the_rfc_key_is_the_rfc_key() -> None:
    raw = load_private_key(RFC_PRIVATE_KEY).public_key().public_bytes_raw()
    assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == RFC_PUBLIC_KEY_X


def test_signature_base_of_b26() -> None:
    assert signature_base("POST", RFC_URL, RFC_HEADERS, B26_COMPONENTS, B26_PARAMS) == B26_BASE


def test_sign_request_reproduces_b26() -> None:
    fields = sign_request(
        "POST",
        RFC_URL,
        device_id="test-key-ed25519",
        private_key=RFC_PRIVATE_KEY,
        headers=RFC_HEADERS,
        body='{"hello": "world"}',
        components=B26_COMPONENTS,
        label="sig-b26",
        created=1618884473,
        nonce=False,
        include_alg=False,
    )
    assert fields == {"signature-input": f"sig-b26={B26_PARAMS}", "signature": f"sig-b26=:{B26_SIGNATURE}:"}


def test_content_digest_rfc9530_values() -> None:
    assert content_digest('{"hello": "world"}') == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    assert content_digest(b'{"hello": "world"}', "sha-512") == (
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
    )
    assert content_digest(None) == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"
    with pytest.raises(ValueError):
        content_digest(b"", "md5")


def test_service_profile_verifies_with_the_public_key() -> None:
    seed = bytes(range(32))
    fields = sign_request(
        "post", "HTTP://Example.COM:80/v1/readings", device_id="scanner-7", private_key=seed, body=b'{"t":1}', created=1772366400
    )
    assert fields["content-digest"] == content_digest(b'{"t":1}')
    assert re.fullmatch(
        r'sig1=\("@method" "@target-uri" "content-digest"\);created=1772366400;nonce="[A-Za-z0-9_-]{22}";keyid="scanner-7";alg="ed25519"',
        fields["signature-input"],
    )
    digest = {"content-digest": fields["content-digest"]}
    base = signature_base("POST", "http://example.com/v1/readings", digest, DEFAULT_SIGNED_COMPONENTS, fields["signature-input"][5:])
    assert base.splitlines()[:2] == ['"@method": POST', '"@target-uri": http://example.com/v1/readings']
    public: Ed25519PublicKey = load_private_key(seed).public_key()
    public.verify(base64.b64decode(fields["signature"][len("sig1=:") : -1]), base.encode())


def test_refuses_what_a_structured_field_cannot_carry() -> None:
    seed = bytes(32)
    with pytest.raises(ValueError):
        sign_request("GET", "https://h/v1/me", device_id="dévice", private_key=seed)
    with pytest.raises(ValueError):
        sign_request("GET", "https://h/v1/me", device_id="d", private_key=seed, label="Sig")
    with pytest.raises(ValueError, match="x-absent"):
        sign_request("GET", "https://h/v1/me", device_id="d", private_key=seed, components=("@method", "x-absent"))
    with pytest.raises(ValueError):
        sign_request("GET", "/v1/me", device_id="d", private_key=seed)
    quoted = sign_request("GET", "https://h/v1/me", device_id='we"ird\\id', private_key=seed, nonce="n")
    assert ';keyid="we\\"ird\\\\id"' in quoted["signature-input"]


def test_get_me_against_the_server(server: RunningServer, new_device: Callable[..., Device]) -> None:
    device = new_device("py-signed")
    # The test server names its public URL (M2M_AUDIENCE): the service rebuilds the target URI from it, so sign that.
    signed_for = f"{server.audience}/v1/me"
    headers = sign_request("GET", signed_for, device_id=device.device_id, private_key=device.keys.private_key)
    with httpx.Client(base_url=server.url) as http:
        ok = http.get("/v1/me", headers=headers)
        assert ok.status_code == 200, ok.text
        body = ok.json()
        assert body["deviceId"] == device.device_id
        assert body["keyThumbprint"] == device.record["keyThumbprint"]
        assert body["authentication"]["method"] == "http-signature"

        replayed = http.get("/v1/me", headers=headers)
        assert replayed.status_code == 401
        assert replayed.json()["code"] == "UNAUTHORIZED"
        assert "SIGNATURE_REPLAYED" in replayed.json()["detail"]
        assert "Signature" in replayed.headers["www-authenticate"]

        local = sign_request("GET", f"{server.url}/v1/me", device_id=device.device_id, private_key=device.keys.private_key)
        assert http.get("/v1/me", headers=local).status_code == 401
