"""One protocol across languages: a device registered by the TypeScript SDK
authenticates with the Python SDK, and the TypeScript SDK finds it in the audit log."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from m2m_trust import M2MClient, generate_key_pair
from support import RunningServer, unique_id

TS_SDK_SCRIPT = Path(__file__).with_name("ts_sdk.mjs")


def ts_sdk(server: RunningServer | None, *args: str) -> Any:
    node = shutil.which("node")
    assert node, "node is needed for the cross-language test"
    env = {**os.environ, **({"M2M_URL": server.url, "M2M_API_KEY": server.admin_key} if server else {})}
    done = subprocess.run([node, str(TS_SDK_SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_registered_by_typescript_authenticated_by_python_seen_in_audit(server: RunningServer) -> None:
    keys = generate_key_pair()
    device_id = unique_id("cross-language")

    registered = ts_sdk(server, "register", device_id, keys.public_key)
    assert registered["deviceId"] == device_id
    assert registered["publicKey"] == keys.public_key

    device = M2MClient(base_url=server.url)
    result = device.m2m.authenticate(device_id=device_id, private_key=keys.private_key_pem(), audience=server.audience)
    assert result["verified"] is True

    events = ts_sdk(server, "events", device_id)
    assert [(e["action"], e["bizStep"], e["disposition"]) for e in events] == [
        ("ADD", "commissioning", "active"),
        ("OBSERVE", "inspecting", "conformant"),
    ]
    assert events[1]["m2m:actor"] == f"device:{device_id}"
    assert all(e["epcList"] == [f"urn:m2m-trust:device:{device_id}"] for e in events)


def test_the_two_sdks_share_their_defaults() -> None:
    typescript = ts_sdk(None, "defaults")
    settings = M2MClient(base_url="http://127.0.0.1:1").settings
    retry = typescript["retry"]
    assert settings.timeout * 1000 == typescript["timeoutMs"]
    assert settings.max_retries == retry["maxRetries"]
    assert settings.backoff_factor * 1000 == retry["baseDelayMs"]
    assert settings.max_backoff * 1000 == retry["maxDelayMs"]
    assert settings.max_retry_after * 1000 == retry["maxRetryAfterMs"]
    # Neither builds a client without a base URL, and both say which option is missing.
    assert typescript["missingBaseUrl"]["message"].startswith("baseUrl is required: ")
    with pytest.raises(ValueError, match="^base_url is required: "):
        M2MClient(base_url=None)
