"""The README's examples, run exactly as written, in order, against the real server."""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

import pytest

from support import CLIENT_ROOT, RunningServer

README = CLIENT_ROOT / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", README.read_text(encoding="utf-8"), flags=re.S | re.M)


def test_readme_has_the_whole_flow() -> None:
    code = "\n".join(python_blocks())
    for call in (
        "register_device(",
        "initiate_challenge(",
        "sign_challenge(",
        "verify(",
        "authenticate(",
        "list_devices(",
        "iter_devices(",
        "get_device(",
        "revoke_device(",
        "iter_events(",
        "AsyncM2MClient(",
    ):
        assert call in code, call


def test_readme_examples_run(server: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("M2M_URL", server.url)
    monkeypatch.setenv("M2M_API_KEY", server.admin_key)
    monkeypatch.setenv("M2M_AUDIENCE", server.audience)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "readme"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for number, block in enumerate(python_blocks(), start=1):
            exec(compile(block, f"README.md python block {number}", "exec"), namespace)
    printed = out.getvalue()

    assert namespace["result"]["verified"] is True  # the one-call authenticate
    assert namespace["replay"] == {"verified": False, "reason": "CHALLENGE_ALREADY_USED"}
    assert namespace["revoked"]["status"] == "revoked"
    assert [e["bizStep"] for e in namespace["events"]] == [
        "commissioning",
        "inspecting",
        "inspecting",
        "inspecting",
        "decommissioning",
        # The revoked device's authentication in the errors example: its decoy challenge, then its verify.
        "inspecting",
        "inspecting",
    ]
    assert len(namespace["replays"]) == 1
    assert [e["action"] for e in namespace["registrations_and_revocations"]] == ["ADD", "DELETE"]
    for expected in (
        "authenticated",
        "AUDIENCE_MISMATCH",
        "DEVICE_NOT_FOUND 404",
        "DEVICE_EXISTS",
        "DEVICE_REVOKED",
        "VALIDATION_FAILED",
        "UNAUTHORIZED",
        "revoked lost",
    ):
        assert expected in printed, expected
