"""m2m-trust: Python SDK for Ed25519 challenge-response device authentication.

>>> from m2m_trust import M2MClient
>>> client = M2MClient(base_url="http://127.0.0.1:8080", api_key="...")  # doctest: +SKIP
>>> client.m2m.get_device("scanner-floor-3")  # doctest: +SKIP
>>> list(client.audit.iter_events(device_id="scanner-floor-3"))  # doctest: +SKIP
"""

from ._core import (
    DEFAULT_BACKOFF_FACTOR,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_TIMEOUT,
    RETRY_STATUSES,
    Call,
    FilterValue,
    RetryMode,
    Settings,
)
from ._version import __version__
from .api_keys import API_KEY_SCOPES, ApiKeysApi, AsyncApiKeysApi
from .audit import AsyncAuditApi, AuditApi, EventFilters, EventPage, epcis_query_params
from .client import AsyncM2MApi, AsyncM2MClient, M2MApi, M2MClient
from .device import (
    ALGORITHM,
    DEFAULT_MAX_CLOCK_SKEW,
    NONCE_LABEL,
    ChallengeNonce,
    KeyPair,
    PrivateKeyLike,
    device_epc,
    generate_key_pair,
    load_private_key,
    parse_nonce,
    public_key_hex,
    sign_challenge,
)
from .errors import (
    APIError,
    AuthenticationError,
    ChallengeRefusedError,
    ConflictError,
    M2MConnectionError,
    M2MError,
    M2MTimeoutError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from .http_signatures import DEFAULT_SIGNED_COMPONENTS, content_digest, sign_request, signature_base
from .oauth import JWT_BEARER, client_assertion

__all__ = [
    "__version__",
    # clients
    "M2MClient",
    "AsyncM2MClient",
    "M2MApi",
    "AsyncM2MApi",
    "ApiKeysApi",
    "AsyncApiKeysApi",
    "API_KEY_SCOPES",
    "AuditApi",
    "AsyncAuditApi",
    "EventFilters",
    "EventPage",
    "epcis_query_params",
    "Settings",
    "Call",
    "FilterValue",
    "RetryMode",
    "RETRY_STATUSES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_BACKOFF_FACTOR",
    "DEFAULT_MAX_RETRY_AFTER",
    # device
    "ALGORITHM",
    "NONCE_LABEL",
    "DEFAULT_MAX_CLOCK_SKEW",
    "ChallengeNonce",
    "KeyPair",
    "PrivateKeyLike",
    "generate_key_pair",
    "load_private_key",
    "public_key_hex",
    "parse_nonce",
    "sign_challenge",
    "device_epc",
    # OAuth
    "JWT_BEARER",
    "client_assertion",
    # HTTP Message Signatures (RFC 9421)
    "DEFAULT_SIGNED_COMPONENTS",
    "sign_request",
    "signature_base",
    "content_digest",
    # errors
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
]
