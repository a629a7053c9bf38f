"""Fixtures: the real built m2m-trust server (one per session) and a tiny local HTTP stub."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from m2m_trust import M2MClient, generate_key_pair
from support import AUDIENCE, REPO_ROOT, VECTORS_FILE, Device, RunningServer, Stub, unique_id

SERVER_MAIN = Path(os.environ.get("M2M_TRUST_SERVER_MAIN") or REPO_ROOT / "dist" / "apps" / "gateway" / "src" / "main.js")
_LISTENING = re.compile(r'"url":"(http://[^"]+)"[^\n]*"msg":"listening"')


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """Starts ``node dist/apps/gateway/src/main.js`` on a free port with a temp data dir and a random admin key."""
    if not SERVER_MAIN.is_file():
        pytest.fail(
            f"The built server is missing: {SERVER_MAIN}\nBuild it first: cd {REPO_ROOT} && npm run build",
            pytrace=False,
        )
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH; the tests start the real m2m-trust server with Node.js (20.19+)", pytrace=False)
    data_dir = tempfile.mkdtemp(prefix="m2m-trust-py-")
    admin_key = f"py-test-admin-{secrets.token_urlsafe(24)}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "PORT": "0",
        "HOST": "127.0.0.1",
        "M2M_DATA_DIR": data_dir,
        "M2M_ADMIN_API_KEY": admin_key,
        "M2M_AUDIENCE": AUDIENCE,
        "M2M_LOG_LEVEL": "info",
        # The suite authenticates many times from one loopback address; the limits have tests of their own.
        "M2M_RATE_LIMIT_ADDRESS_PER_MINUTE": "0",
        "M2M_RATE_LIMIT_DEVICE_PER_MINUTE": "0",
        "M2M_RATE_LIMIT_API_KEY_PER_MINUTE": "0",
    }
    process = subprocess.Popen(
        [node, str(SERVER_MAIN)],
        env=env,
        cwd=data_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    lines: list[str] = []
    found: dict[str, str] = {}
    ready = threading.Event()

    def read() -> None:  # drains the pipe for the whole session so the server never blocks on it
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            match = _LISTENING.search(line)
            if match and not ready.is_set():
                found["url"] = match.group(1)
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, name="m2m-server-output", daemon=True)
    reader.start()
    # Generous: only a server that never starts is given up on, not a slow or busy machine's.
    deadline = time.monotonic() + 120
    while not ready.wait(0.05):
        if time.monotonic() > deadline:
            break
    if "url" not in found:
        process.kill()
        process.wait(10)
        reader.join(5)
        shutil.rmtree(data_dir, ignore_errors=True)
        pytest.fail(f"the m2m-trust server did not start (exit code {process.poll()}):\n{''.join(lines)}", pytrace=False)

    running = RunningServer(url=found["url"], admin_key=admin_key, audience=AUDIENCE, data_dir=data_dir, process=process, lines=lines)
    try:
        yield running
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        reader.join(5)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture()
def admin(server: RunningServer) -> Iterator[M2MClient]:
    """A client with the admin API key."""
    with M2MClient(base_url=server.url, api_key=server.admin_key) as client:
        yield client


@pytest.fixture()
def device_client(server: RunningServer) -> Iterator[M2MClient]:
    """A client without an API key, as a device has."""
    with M2MClient(base_url=server.url) as client:
        yield client


@pytest.fixture()
def new_device(admin: M2MClient) -> Callable[..., Device]:
    """Registers a fresh device with a fresh key pair."""

    def make(prefix: str = "py-device", **kwargs: Any) -> Device:
        keys = generate_key_pair()
        device_id = unique_id(prefix)
        record = admin.m2m.register_device(device_id=device_id, public_key=keys.public_key, **kwargs)
        return Device(device_id=device_id, keys=keys, record=record)

    return make


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    with VECTORS_FILE.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


@pytest.fixture()
def stub() -> Iterator[Stub]:
    s = Stub()
    try:
        yield s
    finally:
        s.close()
