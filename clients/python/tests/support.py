"""Test helpers: constants, a device record, and a tiny real HTTP stub server (no mocks)."""

from __future__ import annotations

import json
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Union

from m2m_trust import KeyPair

# tests/ -> python/ -> clients/ -> repository root
REPO_ROOT = Path(__file__).resolve().parents[3]
CLIENT_ROOT = Path(__file__).resolve().parents[1]
VECTORS_FILE = REPO_ROOT / "docs" / "protocol" / "vectors.json"
# The audience the test server binds into every nonce (M2M_AUDIENCE), and so what the test devices expect.
AUDIENCE = "https://python-sdk.m2m-trust.test"


def unique_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


@dataclass(frozen=True)
class Device:
    device_id: str
    keys: KeyPair
    record: dict[str, Any]


StubBody = Union[dict[str, Any], list[Any], str, bytes, None]


@dataclass
class RunningServer:
    url: str
    admin_key: str
    audience: str
    data_dir: str
    process: "subprocess.Popen[str]"
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "".join(self.lines)


@dataclass
class StubResponse:
    status: int = 200
    body: StubBody = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class StubRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Stub:
    """A real HTTP server on 127.0.0.1 answering scripted responses, in order, per ``(method, path)``."""

    def __init__(self) -> None:
        self._script: dict[tuple[str, str], list[StubResponse]] = {}
        self.requests: list[StubRequest] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                with stub._lock:
                    stub.requests.append(
                        StubRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                    )
                    queue = stub._script.get((self.command, path))
                    answer = queue.pop(0) if queue else StubResponse(404, {"code": "ROUTE_NOT_FOUND", "status": 404, "title": "unscripted"})
                if answer.delay:
                    time.sleep(answer.delay)
                if isinstance(answer.body, (dict, list)):
                    payload = json.dumps(answer.body).encode()
                    content_type = "application/problem+json" if answer.status >= 400 else "application/json"
                elif isinstance(answer.body, str):
                    payload, content_type = answer.body.encode(), "text/plain"
                else:
                    payload, content_type = (answer.body or b""), "application/octet-stream"
                try:
                    self.send_response(answer.status)
                    self.send_header("content-type", content_type)
                    self.send_header("content-length", str(len(payload)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="stub-http", daemon=True)
        self._thread.start()

    def script(self, method: str, path: str, *responses: StubResponse) -> None:
        with self._lock:
            self._script.setdefault((method, path), []).extend(responses)

    def hits(self, method: str, path: str) -> list[StubRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path.split("?", 1)[0] == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def problem(status: int, code: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": f"urn:m2m-trust:problem:{code.lower()}",
        "title": code,
        "status": status,
        "code": code,
        "requestId": "stub-req",
        **extra,
    }


def ok_device(device_id: str = "stub-device") -> dict[str, Any]:
    return {"deviceId": device_id, "publicKey": "00" * 32, "status": "active"}
