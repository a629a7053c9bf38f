"""``client.api_keys``: API keys with scopes (``/v1/api-keys``), sync and async.

Needs an API key holding ``keys:admin`` (the admin key holds every scope).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Generic, Optional, Sequence, TypeVar, Union

from ._core import JSON, AsyncExecutor, Call, Executor, _segment, json_of


__all__ = ["API_KEY_SCOPES", "ApiKeysApi", "AsyncApiKeysApi"]

#: What a key may do; every route requires one of them.
API_KEY_SCOPES = ("devices:read", "devices:write", "audit:read", "keys:admin")

_R = TypeVar("_R")


def _rfc3339(value: Union[str, datetime]) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware (or an RFC 3339 string)")
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class _BaseApiKeys(Generic[_R]):
    def __init__(self, send: Callable[[Call], _R]) -> None:
        self._send = send

    def create(self, *, name: str, scopes: Sequence[str], expires_at: Optional[Union[str, datetime]] = None) -> _R:
        """``POST /v1/api-keys``: the new key with its secret in ``"key"`` (``m2m_<id>_<secret>``).

        The secret is shown this once: the service keeps only its hash.
        """
        body: JSON = {"name": name, "scopes": list(scopes)}
        if expires_at is not None:
            body["expiresAt"] = _rfc3339(expires_at)
        return self._send(Call("POST", "/v1/api-keys", body=body, retry="refused"))

    def list(self) -> _R:
        """``GET /v1/api-keys``: ``{"items": [...]}``, every key (revoked and expired too), never a secret."""
        return self._send(Call("GET", "/v1/api-keys"))

    def revoke(self, api_key_id: str, *, reason: Optional[str] = None) -> _R:
        """``POST /v1/api-keys/{id}/revoke``: idempotent; raises ``NotFoundError`` (``API_KEY_NOT_FOUND``) for an unknown id."""
        body: JSON = {} if reason is None else {"reason": reason}
        return self._send(Call("POST", f"/v1/api-keys/{_segment(api_key_id)}/revoke", body=body))


class ApiKeysApi(_BaseApiKeys[JSON]):
    """``client.api_keys`` of :class:`~m2m_trust.M2MClient`."""

    def __init__(self, client: Executor) -> None:
        super().__init__(lambda call: json_of(client._execute(call)))


class AsyncApiKeysApi(_BaseApiKeys[Awaitable[JSON]]):
    """``client.api_keys`` of :class:`~m2m_trust.AsyncM2MClient`: the same calls, awaited."""

    def __init__(self, client: AsyncExecutor) -> None:
        async def send(call: Call) -> Any:
            return json_of(await client._execute(call))

        super().__init__(send)
