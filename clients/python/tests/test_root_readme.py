"""The Python example in the repository README's "Clients" section, run as written."""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

import pytest

from support import REPO_ROOT, RunningServer


def root_readme_python_blocks() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"\n## Clients\n(.*?)\n## ", readme, flags=re.S)
    assert section, "the README has a Clients section"
    return re.findall(r"^```python\n(.*?)^```$", section.group(1), flags=re.S | re.M)


def test_root_readme_python_example_runs(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = root_readme_python_blocks()
    assert len(blocks) == 1
    monkeypatch.setenv("M2M_URL", server.url)
    monkeypatch.setenv("M2M_API_KEY", server.admin_key)
    monkeypatch.setenv("M2M_AUDIENCE", server.audience)
    namespace: dict[str, Any] = {"__name__": "root_readme"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md Clients python block", "exec"), namespace)
    assert out.getvalue().splitlines() == ["True", "['commissioning', 'inspecting']"]
