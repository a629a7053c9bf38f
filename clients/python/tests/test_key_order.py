"""docs/protocol/vectors.json's refused public keys, checked by libsodium (PyNaCl), not by the server's own code."""

from __future__ import annotations

import json
from typing import Any

import pytest
from nacl.bindings import crypto_core_ed25519_add, crypto_core_ed25519_is_valid_point

from support import VECTORS_FILE

_VECTORS: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="utf-8")) if VECTORS_FILE.is_file() else {}
_REFUSED_POINTS = [v for v in _VECTORS.get("invalidPublicKeys", []) if v["expected"] == "INVALID_PUBLIC_KEY"]
_MIXED_ORDER = [v for v in _REFUSED_POINTS if "validKey" in v]


def test_the_vectors_file_has_mixed_order_keys() -> None:
    assert len(_MIXED_ORDER) == 3


def test_libsodium_accepts_the_valid_keys(vectors: dict[str, Any]) -> None:
    for vector in vectors["valid"]:
        assert crypto_core_ed25519_is_valid_point(bytes.fromhex(vector["publicKey"]))


@pytest.mark.parametrize("vector", _REFUSED_POINTS, ids=lambda v: v["name"])
def test_libsodium_refuses_every_refused_point(vector: dict[str, Any]) -> None:
    # libsodium: canonical, on the curve, not of small order, and in the prime-order subgroup ([L]A = identity).
    assert not crypto_core_ed25519_is_valid_point(bytes.fromhex(vector["publicKey"]))


@pytest.mark.parametrize("vector", _MIXED_ORDER, ids=lambda v: v["name"])
def test_a_mixed_order_key_is_its_valid_key_plus_a_small_order_point(vector: dict[str, Any]) -> None:
    assert crypto_core_ed25519_is_valid_point(bytes.fromhex(vector["validKey"]))
    total = crypto_core_ed25519_add(bytes.fromhex(vector["validKey"]), bytes.fromhex(vector["smallOrderPoint"]))
    assert total.hex() == vector["publicKey"]
