"""``M2MClient`` (sync) and ``AsyncM2MClient``: the I/O loops over the shared core."""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Any, AsyncIterator, Awaitable, Iterator, Mapping, Optional

import httpx

from ._core import (
    DEFAULT_BACKOFF_FACTOR,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_TIMEOUT,
    JSON,
    BaseM2M,
    Call,
    FilterValue,
    Settings,
    _deprecated,
    checked,
    delay_after_error,
    delay_after_response,
    events_of,
    json_of,
    next_page,
    request_args,
    transport_error,
)
from .api_keys import ApiKeysApi, AsyncApiKeysApi
from .audit import AsyncAuditApi, AuditApi
from .device import DEFAULT_MAX_CLOCK_SKEW, PrivateKeyLike, sign_challenge

__all__ = ["M2MClient", "AsyncM2MClient", "M2MApi", "AsyncM2MApi"]


def _settings(
    base_url: Optional[str],
    api_key: Optional[str],
    audience: Optional[str],
    timeout: float,
    max_retries: int,
    backoff_factor: float,
    max_retry_after: float,
    headers: Optional[Mapping[str, str]],
) -> Settings:
    return Settings(
        base_url=base_url,  # type: ignore[arg-type]  # None is refused there, with a message naming base_url
        api_key=api_key,
        audience=audience,
        timeout=timeout,
        max_retries=max_retries,
        backoff_factor=backoff_factor,
        max_retry_after=max_retry_after,
        headers=dict(headers or {}),
    )


# ---------------------------------------------------------------------------------------- sync


class M2MApi(BaseM2M[JSON]):
    """``client.m2m``: every call answers a plain ``dict`` or raises an :class:`~m2m_trust.M2MError`."""

    def __init__(self, client: "M2MClient") -> None:
        super().__init__(lambda call: json_of(client._execute(call)), client.settings.base_url)
        self._client = client

    def iter_devices(self, *, status: Optional[str] = None, page_size: Optional[int] = None) -> Iterator[JSON]:
        """Every device (optionally with ``status``), following ``nextCursor`` page by page."""
        cursor: Optional[str] = None
        while True:
            page = self.list_devices(status=status, limit=page_size, cursor=cursor)
            yield from page["items"]
            cursor = page.get("nextCursor")
            if not cursor:
                return

    def iter_events(self, filters: Optional[Mapping[str, FilterValue]] = None, /, **kwargs: FilterValue) -> Iterator[JSON]:
        """Deprecated: use ``client.audit.iter_events(device_id=...)``, as the TypeScript SDK's
        ``client.audit.iterateEvents({ deviceId })``.

        Every EPCIS event matching the filters (see ``query_events``), following ``Link: rel="next"``."""
        _deprecated("client.m2m.iter_events", "client.audit.iter_events")
        call: Optional[Call] = self._events_call(filters, kwargs)
        while call is not None:
            response = checked(self._client._execute(call))
            yield from events_of(response.json())
            call = next_page(response)

    def authenticate(
        self,
        *,
        device_id: str,
        private_key: PrivateKeyLike,
        audience: Optional[str] = None,
        max_clock_skew: float = DEFAULT_MAX_CLOCK_SKEW,
    ) -> JSON:
        """Challenge, careful sign (see :func:`~m2m_trust.sign_challenge`), verify: the verify answer.

        ``audience`` is the service this device means to talk to; it defaults to the client's
        ``audience`` (itself defaulting to the origin of ``base_url``), as in the TypeScript SDK.
        """
        challenge = self.initiate_challenge(device_id)
        audience = audience or self._client.settings.audience or ""
        signature = sign_challenge(challenge, private_key, device_id=device_id, audience=audience, max_clock_skew=max_clock_skew)
        return self.verify(challenge["id"], signature)


class M2MClient:
    """Synchronous client.

    ``base_url`` (required) is where the service answers; a path prefix is kept.
    ``api_key`` is needed for operator calls (devices, audit), not for a device's own
    challenge and verify. ``audience`` is the service audience a device expects in every
    challenge (the service's ``M2M_AUDIENCE``), by default the origin of ``base_url``.
    Each attempt times out after ``timeout`` seconds. Answers 429 and 503 are retried up
    to ``max_retries`` times, waiting what ``Retry-After`` says (or an exponential backoff
    from ``backoff_factor``); reads also after a lost answer; verify is never retried.
    The defaults are the TypeScript SDK's.
    """

    def __init__(
        self,
        base_url: Optional[str],
        api_key: Optional[str] = None,
        *,
        audience: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        headers: Optional[Mapping[str, str]] = None,
        transport: Optional[httpx.BaseTransport] = None,
    ) -> None:
        self.settings = _settings(base_url, api_key, audience, timeout, max_retries, backoff_factor, max_retry_after, headers)
        self._http = httpx.Client(timeout=timeout, headers=self.settings.default_headers(), transport=transport)
        self.m2m = M2MApi(self)
        self.audit = AuditApi(self)
        self.api_keys = ApiKeysApi(self)

    def _execute(self, call: Call) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._http.request(**request_args(self.settings, call))
            except httpx.TransportError as error:
                delay = delay_after_error(self.settings, call, attempt, error)
                if delay is None:
                    raise transport_error(error, call) from error
            else:
                delay = delay_after_response(self.settings, call, attempt, response)
                if delay is None:
                    return response
            time.sleep(delay)
            attempt += 1

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "M2MClient":
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close()


# --------------------------------------------------------------------------------------- async


class AsyncM2MApi(BaseM2M[Awaitable[JSON]]):
    """``client.m2m`` of :class:`AsyncM2MClient`: the same calls, awaited."""

    def __init__(self, client: "AsyncM2MClient") -> None:
        async def send(call: Call) -> Any:
            return json_of(await client._execute(call))

        super().__init__(send, client.settings.base_url)
        self._client = client

    async def iter_devices(self, *, status: Optional[str] = None, page_size: Optional[int] = None) -> AsyncIterator[JSON]:
        cursor: Optional[str] = None
        while True:
            page = await self.list_devices(status=status, limit=page_size, cursor=cursor)
            for device in page["items"]:
                yield device
            cursor = page.get("nextCursor")
            if not cursor:
                return

    async def iter_events(self, filters: Optional[Mapping[str, FilterValue]] = None, /, **kwargs: FilterValue) -> AsyncIterator[JSON]:
        """Deprecated: use ``client.audit.iter_events``."""
        _deprecated("client.m2m.iter_events", "client.audit.iter_events")
        call: Optional[Call] = self._events_call(filters, kwargs)
        while call is not None:
            response = checked(await self._client._execute(call))
            for event in events_of(response.json()):
                yield event
            call = next_page(response)

    async def authenticate(
        self,
        *,
        device_id: str,
        private_key: PrivateKeyLike,
        audience: Optional[str] = None,
        max_clock_skew: float = DEFAULT_MAX_CLOCK_SKEW,
    ) -> JSON:
        challenge = await self.initiate_challenge(device_id)
        audience = audience or self._client.settings.audience or ""
        signature = sign_challenge(challenge, private_key, device_id=device_id, audience=audience, max_clock_skew=max_clock_skew)
        return await self.verify(challenge["id"], signature)


class AsyncM2MClient:
    """Asynchronous client (``httpx.AsyncClient``); same arguments as :class:`M2MClient`."""

    def __init__(
        self,
        base_url: Optional[str],
        api_key: Optional[str] = None,
        *,
        audience: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        headers: Optional[Mapping[str, str]] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        self.settings = _settings(base_url, api_key, audience, timeout, max_retries, backoff_factor, max_retry_after, headers)
        self._http = httpx.AsyncClient(timeout=timeout, headers=self.settings.default_headers(), transport=transport)
        self.m2m = AsyncM2MApi(self)
        self.audit = AsyncAuditApi(self)
        self.api_keys = AsyncApiKeysApi(self)

    async def _execute(self, call: Call) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._http.request(**request_args(self.settings, call))
            except httpx.TransportError as error:
                delay = delay_after_error(self.settings, call, attempt, error)
                if delay is None:
                    raise transport_error(error, call) from error
            else:
                delay = delay_after_response(self.settings, call, attempt, response)
                if delay is None:
                    return response
            await asyncio.sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncM2MClient":
        return self

    async def __aexit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        await self.aclose()
