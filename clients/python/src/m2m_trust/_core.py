"""What the sync and async clients share: settings, request building, the retry
policy, answer handling and every endpoint. Only the I/O loop differs between
them (``client.py``)."""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Generic, Iterable, Literal, Mapping, Optional, Protocol, TypeVar, Union
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

#: How a call may be retried, as in the TypeScript SDK: ``"never"`` (verify: the first attempt
#: consumes the challenge), ``"refused"`` (writes: only when the service cannot have acted, i.e.
#: 429, 503 or a connection that was never made), ``"idempotent"`` (reads and idempotent writes:
#: also after a lost answer, a timeout or a broken connection).
RetryMode = Literal["never", "refused", "idempotent"]

#: The defaults both SDKs share (the TypeScript SDK's ``timeoutMs``, ``retry.maxRetries``,
#: ``retry.baseDelayMs``, ``retry.maxDelayMs`` and ``retry.maxRetryAfterMs``), in seconds.
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF_FACTOR = 0.2
DEFAULT_MAX_BACKOFF = 5.0
DEFAULT_MAX_RETRY_AFTER = 60.0

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """The URL's origin as the WHATWG URL standard (and so the TypeScript SDK) writes it:
    lower-case scheme and host, no default port, no trailing slash."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = parts.port
    return f"{scheme}://{host}" if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class Settings:
    base_url: str
    api_key: Optional[str] = None
    #: The audience a device expects in every challenge; defaults to the origin of ``base_url``.
    audience: Optional[str] = None
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR
    max_backoff: float = DEFAULT_MAX_BACKOFF
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.base_url is None or (isinstance(self.base_url, str) and not self.base_url.strip()):
            raise ValueError("base_url is required: the URL where the m2m-trust service answers, e.g. https://auth.example.com")
        if not isinstance(self.base_url, str):
            raise TypeError(f"base_url must be a string, not {type(self.base_url).__name__}")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {self.base_url!r}")
        if parts.username or parts.password:
            raise ValueError("base_url must not carry credentials; pass api_key")
        if not self.timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        # As the TypeScript SDK: query and fragment dropped, a path prefix kept.
        object.__setattr__(self, "base_url", f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/"))
        if self.audience is None:
            object.__setattr__(self, "audience", origin_of(self.base_url))
        # Never the key through a header of the caller's: use api_key.
        object.__setattr__(self, "headers", {k: v for k, v in self.headers.items() if k.lower() != "authorization"})

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
    retry: RetryMode = "idempotent"


class Executor(Protocol):
    """What an API group needs of its client (``M2MClient``): one call, retries and errors handled."""

    def _execute(self, call: Call) -> httpx.Response: ...


class AsyncExecutor(Protocol):
    """The same of ``AsyncM2MClient``, awaited."""

    def _execute(self, call: Call) -> Awaitable[httpx.Response]: ...


def request_args(settings: Settings, call: Call) -> dict[str, Any]:
    """The keyword arguments of ``httpx.Client.request`` / ``httpx.AsyncClient.request``."""
    if call.path.startswith(("http://", "https://")):
        url = call.path
        if origin_of(url) != origin_of(settings.base_url):
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


def backoff(settings: Settings, attempt: int, retry_after: Optional[float] = None) -> float:
    """The wait before retry number ``attempt`` (0-based), as the TypeScript SDK waits: the
    service's ``Retry-After`` plus up to ``backoff_factor`` of jitter, so a fleet told the same
    instant does not return at once; otherwise exponential backoff with full jitter, between 0
    and ``backoff_factor * 2**attempt`` capped at ``max_backoff``."""
    if retry_after is not None:
        return retry_after + random.uniform(0, settings.backoff_factor)
    return random.uniform(0, min(settings.max_backoff, settings.backoff_factor * (2.0**attempt)))


def delay_after_response(settings: Settings, call: Call, attempt: int, response: httpx.Response) -> Optional[float]:
    """Seconds to wait before retrying ``call`` after ``response``, or ``None`` not to retry.

    Only 429 and 503 are retried, never a call whose mode is ``"never"`` (verify), at most
    ``max_retries`` times; ``Retry-After`` is honoured, and a ``Retry-After`` longer than
    ``max_retry_after`` is not waited for (the error is raised instead).
    """
    if call.retry == "never" or attempt >= settings.max_retries or response.status_code not in RETRY_STATUSES:
        return None
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if retry_after is not None and retry_after > settings.max_retry_after:
        return None
    return backoff(settings, attempt, retry_after)


def delay_after_error(settings: Settings, call: Call, attempt: int, error: httpx.TransportError) -> Optional[float]:
    """Retries a connection that was never made (nothing was sent) unless the mode is ``"never"``,
    and any other failure to get an answer only for ``"idempotent"`` calls."""
    if call.retry == "never" or attempt >= settings.max_retries:
        return None
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)) or call.retry == "idempotent":
        return backoff(settings, attempt)
    return None


def transport_error(error: httpx.TransportError, call: Call) -> M2MConnectionError:
    if isinstance(error, httpx.TimeoutException):
        return M2MTimeoutError(f"{call.method} {call.path} failed: {type(error).__name__}: {error}", code="TIMEOUT")
    return M2MConnectionError(f"{call.method} {call.path} failed: {type(error).__name__}: {error}", code="NETWORK_ERROR")


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
    link = next_page_url(response)
    return None if link is None else Call("GET", link)


def next_page_url(response: httpx.Response) -> Optional[str]:
    """The ``Link: <…>; rel="next"`` target, resolved against the URL that answered (RFC 8288)."""
    link = response.links.get("next", {}).get("url")
    return urljoin(str(response.url), link) if link else None


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


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated; use {new}, the same as the TypeScript SDK", DeprecationWarning, stacklevel=3)


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
        return self._send(Call("POST", "/v1/devices", body=body, retry="refused"))

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
        """Deprecated: use ``client.audit.query_events``, with the TypeScript SDK's filters
        (``device_id=...``; EPCIS parameter names go in ``params={...}``).

        ``GET /epcis/events``: one page, the ``EPCISQueryDocument``. Filters are EPCIS query
        parameters as keyword arguments (``MATCH_epc=...``, ``perPage=50``) or in a mapping.
        """
        _deprecated("client.m2m.query_events", "client.audit.query_events")
        return self._send(self._events_call(filters, kwargs))

    @staticmethod
    def _events_call(filters: Optional[Mapping[str, FilterValue]], kwargs: Mapping[str, FilterValue]) -> Call:
        merged = {**(filters or {}), **kwargs}
        return Call("GET", "/epcis/events", params={k: _filter_value(v) for k, v in merged.items() if v is not None})

    # -- devices (no API key) ------------------------------------------------------------------

    def initiate_challenge(self, device_id: str) -> _R:
        """``POST /v1/challenges``: ``{id, deviceId, nonce, algorithm, expiresAt}``."""
        return self._send(Call("POST", "/v1/challenges", body={"deviceId": device_id}, auth=False, retry="refused"))

    def request_token(self, *, device_id: str, private_key: PrivateKeyLike, audience: Optional[str] = None, lifetime: int = 60) -> _R:
        """``POST /oauth2/token``: OAuth 2.0 client credentials with ``private_key_jwt`` (RFC 7523).

        Signs a one-time client assertion (``iss`` = ``sub`` = ``device_id``, ``aud`` = the token
        endpoint unless ``audience`` names another, a fresh ``jti``, ``exp`` in ``lifetime`` seconds)
        with the device's Ed25519 key and answers ``{access_token, token_type: "Bearer", expires_in}``.
        Refusals raise :class:`~m2m_trust.AuthenticationError` with ``code`` ``invalid_client``
        (RFC 6749 error codes). Retried only when nothing was done (429, 503, a connection never
        made): the assertion is single-use.
        """
        assertion = client_assertion(device_id, private_key, audience=audience or f"{self._base_url}/oauth2/token", lifetime=lifetime)
        form = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER, "client_assertion": assertion}
        return self._send(Call("POST", "/oauth2/token", form=form, auth=False, retry="refused"))

    def verify(self, challenge_id: str, signature: str) -> _R:
        """``POST /v1/challenges/verify``: ``{verified: True, deviceId, verifiedAt}`` or ``{verified: False, reason}``.

        Never retried: the first attempt consumes the challenge whatever its outcome.
        """
        return self._send(
            Call("POST", "/v1/challenges/verify", body={"challengeId": challenge_id, "signature": signature}, auth=False, retry="never")
        )
