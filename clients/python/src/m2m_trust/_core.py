"""What the sync and async clients share: settings, request building, the retry
policy, answer handling and every endpoint. Only the I/O loop differs between
them (``client.py``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Generic, Iterable, Mapping, Optional, TypeVar, Union
from urllib.parse import quote, urljoin, urlsplit

import httpx

from ._version import __version__
from .device import PrivateKeyLike
from .errors import M2MConnectionError, M2MError, M2MTimeoutError, error_from_response, parse_retry_after
from .oauth import JWT_BEARER, client_assertion

JSON = dict[str, Any]
#: A filter value for ``GET /epcis/events``: a string, a number, a datetime (sent as RFC 3339 UTC),
#: or several alternatives (sent joined by ``|``).
FilterValue = Union[str, int, datetime, Iterable[Union[str, int]]]

RETRY_STATUSES = frozenset({429, 503})
_NO_BODY: Any = object()


@dataclass(frozen=True)
class Settings:
    base_url: str
    api_key: Optional[str] = None
    timeout: float = 10.0
    max_retries: int = 2
    backoff_factor: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 60.0
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    def default_headers(self) -> dict[str, str]:
        return {"accept": "application/json", "user-agent": f"m2m-trust-python/{__version__}", **self.headers}


@dataclass(frozen=True)
class Call:
    """One API request, before any I/O. ``path`` is relative to ``base_url`` or an absolute URL of the same origin."""

    method: str
    path: str
    params: Optional[Mapping[str, str]] = None
    body: Any = _NO_BODY
    #: An ``application/x-www-form-urlencoded`` body (the OAuth endpoints), instead of JSON.
    form: Optional[Mapping[str, str]] = None
    auth: bool = True
    retry: bool = True


def request_args(settings: Settings, call: Call) -> dict[str, Any]:
    """The keyword arguments of ``httpx.Client.request`` / ``httpx.AsyncClient.request``."""
    if call.path.startswith(("http://", "https://")):
        url = call.path
        if _origin(url) != _origin(settings.base_url):
            raise M2MError(f"refusing to follow a link to another origin: {url}")
    else:
        url = settings.base_url + call.path
    headers: dict[str, str] = {}
    if call.auth and settings.api_key:
        headers["authorization"] = f"Bearer {settings.api_key}"
    args: dict[str, Any] = {"method": call.method, "url": url, "headers": headers}
    if call.params:
        args["params"] = dict(call.params)
    if call.body is not _NO_BODY:
        args["json"] = call.body
    if call.form is not None:
        args["data"] = dict(call.form)
    return args


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def backoff(settings: Settings, attempt: int) -> float:
    """Exponential backoff with jitter: between half and all of ``backoff_factor * 2**attempt``, capped."""
    delay = min(settings.max_backoff, settings.backoff_factor * (2.0**attempt))
    return delay / 2 + random.uniform(0, delay / 2)


def delay_after_response(settings: Settings, call: Call, attempt: int, response: httpx.Response) -> Optional[float]:
    """Seconds to wait before retrying ``call`` after ``response``, or ``None`` not to retry.

    Only 429 and 503 are retried, never a call marked ``retry=False`` (verify), at most
    ``max_retries`` times; ``Retry-After`` is honoured, and a ``Retry-After`` longer than
    ``max_retry_after`` is not waited for (the error is raised instead).
    """
    if not call.retry or attempt >= settings.max_retries or response.status_code not in RETRY_STATUSES:
        return None
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if retry_after is None:
        return backoff(settings, attempt)
    return retry_after if retry_after <= settings.max_retry_after else None


def delay_after_error(settings: Settings, call: Call, attempt: int, error: httpx.TransportError) -> Optional[float]:
    """Retries a connection that could not be made (nothing was sent), never anything else."""
    if not call.retry or attempt >= settings.max_retries:
        return None
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return backoff(settings, attempt)
    return None


def transport_error(error: httpx.TransportError, call: Call) -> M2MConnectionError:
    cls = M2MTimeoutError if isinstance(error, httpx.TimeoutException) else M2MConnectionError
    return cls(f"{call.method} {call.path} failed: {type(error).__name__}: {error}")


def checked(response: httpx.Response) -> httpx.Response:
    """``response`` if it is a success, else the typed error is raised."""
    if response.is_success:
        return response
    raise error_from_response(response)


def json_of(response: httpx.Response) -> Any:
    checked(response)
    return response.json() if response.content else None


def next_page(response: httpx.Response) -> Optional[Call]:
    """The call for the page named by the ``Link: <…>; rel="next"`` header, if any."""
    link = response.links.get("next", {}).get("url")
    if not link:
        return None
    return Call("GET", urljoin(str(response.url), link))


def events_of(document: Mapping[str, Any]) -> list[JSON]:
    """The ``eventList`` of an ``EPCISQueryDocument``."""
    body = document.get("epcisBody", {}).get("queryResults", {}).get("resultsBody", {})
    events = body.get("eventList", [])
    return list(events) if isinstance(events, list) else []


def _filter_value(value: FilterValue) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetime filters must be timezone-aware")
        return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, bool):
        raise TypeError("boolean is not an EPCIS filter value")
    if isinstance(value, (str, int)):
        return str(value)
    return "|".join(str(v) for v in value)


def _segment(value: str) -> str:
    return quote(value, safe="")


_R = TypeVar("_R")


class BaseM2M(Generic[_R]):
    """Every endpoint once. ``_R`` is what a call gives: a dict (sync) or an awaitable of one (async)."""

    def __init__(self, send: Callable[[Call], _R], base_url: str) -> None:
        self._send = send
        self._base_url = base_url

    # -- operators (API key) -------------------------------------------------------------------

    def register_device(
        self,
        device_id: str,
        public_key: str,
        *,
        label: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> _R:
        """``POST /v1/devices``: registers a device with its raw Ed25519 public key (64 hex or 43 base64url)."""
        body: JSON = {"deviceId": device_id, "publicKey": public_key}
        if label is not None:
            body["label"] = label
        if metadata is not None:
            body["metadata"] = dict(metadata)
        return self._send(Call("POST", "/v1/devices", body=body))

    def list_devices(self, *, status: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> _R:
        """``GET /v1/devices``: one page, ``{"items": [...], "nextCursor": str | None}``, in registration order."""
        params: dict[str, str] = {}
        if status is not None:
            params["status"] = status
        if limit is not None:
            params["limit"] = str(limit)
        if cursor is not None:
            params["cursor"] = cursor
        return self._send(Call("GET", "/v1/devices", params=params))

    def get_device(self, device_id: str) -> _R:
        """``GET /v1/devices/{deviceId}``."""
        return self._send(Call("GET", f"/v1/devices/{_segment(device_id)}"))

    def revoke_device(self, device_id: str, *, reason: Optional[str] = None) -> _R:
        """``POST /v1/devices/{deviceId}/revoke``: idempotent; answers the device with ``status: "revoked"``."""
        body: JSON = {} if reason is None else {"reason": reason}
        return self._send(Call("POST", f"/v1/devices/{_segment(device_id)}/revoke", body=body))

    def query_events(self, filters: Optional[Mapping[str, FilterValue]] = None, /, **kwargs: FilterValue) -> _R:
        """``GET /epcis/events``: one page, the ``EPCISQueryDocument``.

        Filters are EPCIS query parameters as keyword arguments (``MATCH_epc=...``,
        ``EQ_bizStep="inspecting"``, ``perPage=50``), or in a mapping for names that are
        not Python identifiers (``{"EQ_m2m:reason": "SIGNATURE_INVALID"}``).
        """
        return self._send(self._events_call(filters, kwargs))

    @staticmethod
    def _events_call(filters: Optional[Mapping[str, FilterValue]], kwargs: Mapping[str, FilterValue]) -> Call:
        merged = {**(filters or {}), **kwargs}
        return Call("GET", "/epcis/events", params={k: _filter_value(v) for k, v in merged.items() if v is not None})

    # -- devices (no API key) ------------------------------------------------------------------

    def initiate_challenge(self, device_id: str) -> _R:
        """``POST /v1/challenges``: ``{id, deviceId, nonce, algorithm, expiresAt}``."""
        return self._send(Call("POST", "/v1/challenges", body={"deviceId": device_id}, auth=False))

    def request_token(self, *, device_id: str, private_key: PrivateKeyLike, audience: Optional[str] = None, lifetime: int = 60) -> _R:
        """``POST /oauth2/token``: OAuth 2.0 client credentials with ``private_key_jwt`` (RFC 7523).

        Signs a one-time client assertion (``iss`` = ``sub`` = ``device_id``, ``aud`` = the token
        endpoint unless ``audience`` names another, a fresh ``jti``, ``exp`` in ``lifetime`` seconds)
        with the device's Ed25519 key and answers ``{access_token, token_type: "Bearer", expires_in}``.
        Refusals raise :class:`~m2m_trust.AuthenticationError` with ``code`` ``invalid_client``
        (RFC 6749 error codes). Never retried: the assertion is single-use.
        """
        assertion = client_assertion(device_id, private_key, audience=audience or f"{self._base_url}/oauth2/token", lifetime=lifetime)
        form = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER, "client_assertion": assertion}
        return self._send(Call("POST", "/oauth2/token", form=form, auth=False, retry=False))

    def verify(self, challenge_id: str, signature: str) -> _R:
        """``POST /v1/challenges/verify``: ``{verified: True, deviceId, verifiedAt}`` or ``{verified: False, reason}``.

        Never retried: the first attempt consumes the challenge whatever its outcome.
        """
        return self._send(
            Call("POST", "/v1/challenges/verify", body={"challengeId": challenge_id, "signature": signature}, auth=False, retry=False)
        )
