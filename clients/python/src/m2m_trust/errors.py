"""Typed exceptions.

Every error the service answers is ``application/problem+json`` (RFC 9457) with a
stable ``code`` and the ``requestId``; :func:`error_from_response` turns it into
the matching :class:`M2MError` subclass. Errors raised before anything reached
the service (a network failure, or a device refusing to sign a challenge) are
:class:`M2MError` subclasses too, so ``except M2MError`` catches everything this
package raises on purpose.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Mapping, Optional

import httpx

__all__ = [
    "M2MError",
    "APIError",
    "ValidationError",
    "AuthenticationError",
    "NotFoundError",
    "ConflictError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
    "RateLimitedError",
    "ServerError",
    "ServiceUnavailableError",
    "M2MConnectionError",
    "M2MTimeoutError",
    "ChallengeRefusedError",
    "error_from_response",
    "parse_retry_after",
]


class M2MError(Exception):
    """Base class of every error raised by this package.

    Attributes mirror the problem document when there is one:
    ``code`` (e.g. ``"DEVICE_NOT_FOUND"``), ``status`` (HTTP status, ``None`` when
    no answer was received), ``request_id`` (the ``requestId`` / ``X-Request-Id``
    to quote when reporting), ``detail``, ``title``, ``type`` and the whole
    ``problem`` dict.
    """

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        detail: Optional[str] = None,
        title: Optional[str] = None,
        type: Optional[str] = None,
        problem: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.detail = detail
        self.title = title
        self.type = type
        self.problem: dict[str, Any] = dict(problem) if problem else {}

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Per-field validation errors (``[{"path", "message"}]``), when the service sent them."""
        errors = self.problem.get("errors")
        return list(errors) if isinstance(errors, list) else []

    def __str__(self) -> str:
        parts = [self.message]
        if self.code and self.code not in self.message:
            parts.append(f"code={self.code}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return parts[0] if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, request_id={self.request_id!r}, detail={self.detail!r})"


class APIError(M2MError):
    """The service answered with an error status. ``code`` is the problem's ``code`` (or the OAuth
    ``error``), else ``HTTP_<status>`` as in the TypeScript SDK; ``retry_after`` is the service's
    ``Retry-After`` in seconds, if it sent one."""

    retry_after: Optional[float] = None


class ValidationError(APIError):
    """400: ``VALIDATION_FAILED``, ``INVALID_PUBLIC_KEY``, ``QUERY_PARAMETER_INVALID``."""


class AuthenticationError(APIError):
    """401: missing or wrong API key (``UNAUTHORIZED``)."""


class NotFoundError(APIError):
    """404: ``DEVICE_NOT_FOUND`` (or ``ROUTE_NOT_FOUND``)."""


class ConflictError(APIError):
    """409: ``DEVICE_EXISTS``, ``DUPLICATE_PUBLIC_KEY``, ``DEVICE_REVOKED``, ``CONCURRENCY_CONFLICT``."""


class PayloadTooLargeError(APIError):
    """413: request body or query result too large."""


class UnsupportedMediaTypeError(APIError):
    """415: the request body was not JSON."""


class RateLimitedError(APIError):
    """429: too many requests. ``retry_after`` is the server's hint in seconds, if any."""


class ServerError(APIError):
    """5xx."""


class ServiceUnavailableError(ServerError):
    """503: the service is starting, closing or overloaded. ``retry_after`` in seconds, if any."""


class M2MConnectionError(M2MError):
    """The request did not get an answer (connection refused, reset, DNS...): ``code`` ``NETWORK_ERROR``."""


class M2MTimeoutError(M2MConnectionError):
    """The request timed out: ``code`` ``TIMEOUT``."""


class ChallengeRefusedError(M2MError):
    """The device refused to sign a challenge (see docs/protocol.md, "What a careful device checks").

    Raised locally, before anything is signed; ``status`` is ``None``. ``code`` is one of
    ``NONCE_MALFORMED``, ``ALGORITHM_UNSUPPORTED``, ``DEVICE_MISMATCH``,
    ``AUDIENCE_MISMATCH``, ``CHALLENGE_ID_MISMATCH``, ``EXPIRY_MISMATCH``,
    ``CHALLENGE_EXPIRED``; ``reason`` is the TypeScript SDK's ``ChallengeRefusedError.reason``
    for it: ``MALFORMED``, ``UNSUPPORTED_ALGORITHM``, ``WRONG_DEVICE``, ``WRONG_AUDIENCE``,
    ``WRONG_CHALLENGE`` (id or expiry) or ``EXPIRED``.
    """

    @property
    def reason(self) -> Optional[str]:
        return _REFUSAL_REASONS.get(self.code or "")


_REFUSAL_REASONS = {
    "NONCE_MALFORMED": "MALFORMED",
    "ALGORITHM_UNSUPPORTED": "UNSUPPORTED_ALGORITHM",
    "DEVICE_MISMATCH": "WRONG_DEVICE",
    "AUDIENCE_MISMATCH": "WRONG_AUDIENCE",
    "CHALLENGE_ID_MISMATCH": "WRONG_CHALLENGE",
    "EXPIRY_MISMATCH": "WRONG_CHALLENGE",
    "CHALLENGE_EXPIRED": "EXPIRED",
}


_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    429: RateLimitedError,
    503: ServiceUnavailableError,
}


def parse_retry_after(value: Optional[str], *, now: Optional[datetime] = None) -> Optional[float]:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:  # pragma: no cover - very old Pythons returned None
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def error_from_response(response: httpx.Response) -> APIError:
    """The typed exception for an error answer (problem+json or not)."""
    problem: dict[str, Any] = {}
    try:
        body = response.json()
        if isinstance(body, dict):
            problem = body
    except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
        problem = {}
    status = response.status_code
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)

    def text(key: str) -> Optional[str]:
        value = problem.get(key)
        return value if isinstance(value, str) else None

    # problem+json carries `code`; the OAuth endpoints answer RFC 6749's `error` and `error_description`.
    served_code = text("code") or text("error")
    title = text("title")
    detail = text("detail") or text("error_description")
    request_id = text("requestId") or response.headers.get("x-request-id")
    message = detail or title or f"HTTP {status} {response.reason_phrase}".strip()
    if served_code:
        message = f"{served_code}: {message}"
    # As the TypeScript SDK: an answer without a code (a proxy's page) still has one to switch on.
    code = served_code or f"HTTP_{status}"
    error = cls(
        message,
        code=code,
        status=status,
        request_id=request_id,
        detail=detail,
        title=title,
        type=text("type"),
        problem=problem,
    )
    error.retry_after = parse_retry_after(response.headers.get("retry-after"))
    return error
