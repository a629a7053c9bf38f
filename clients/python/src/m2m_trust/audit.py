"""``client.audit``: the EPCIS 2.0 audit log, read as the TypeScript SDK reads it.

``client.audit.iter_events(device_id="scanner-floor-3")`` here is
``client.audit.iterateEvents({ deviceId: 'scanner-floor-3' })`` there: the same
filters under the same names (snake_case), the same pages, the same events.
Needs an API key holding ``audit:read``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, AsyncIterator, Iterator, Mapping, Optional, Sequence, Union

import httpx

from ._core import JSON, AsyncExecutor, Call, Executor, _filter_value, checked, events_of, next_page_url
from .device import device_epc
from .errors import M2MError


__all__ = ["EventFilters", "EventPage", "AuditApi", "AsyncAuditApi", "epcis_query_params"]

#: One value, or alternatives (sent ``|``-separated, as the EPCIS REST binding reads them).
OneOrMany = Union[str, Sequence[str]]
#: A point in time: a timezone-aware ``datetime``, or an RFC 3339 date-time with a time zone.
Instant = Union[datetime, str]


@dataclass(frozen=True)
class EventFilters:
    """The EPCIS 2.0 query parameters ``GET /epcis/events`` supports (docs/epcis.md), under
    readable names. Every filter is optional; all that are given must hold."""

    #: ``eventType`` (this service records ``ObjectEvent`` only).
    event_type: Optional[OneOrMany] = None
    #: ``EQ_action``: ``ADD``, ``OBSERVE``, ``DELETE``.
    action: Optional[OneOrMany] = None
    #: ``EQ_bizStep``: CBV terms, bare (``inspecting``) or as URIs.
    biz_step: Optional[OneOrMany] = None
    #: ``EQ_disposition``: CBV terms, bare (``non_conformant``) or as URIs.
    disposition: Optional[OneOrMany] = None
    #: Devices by id: added to ``MATCH_epc`` as ``urn:m2m-trust:device:<device_id>``.
    device_id: Optional[OneOrMany] = None
    #: ``MATCH_epc``: device URIs.
    epc: Optional[OneOrMany] = None
    #: ``MATCH_anyEPC``
    any_epc: Optional[OneOrMany] = None
    #: ``EQ_eventID``: event hash IDs.
    event_id: Optional[OneOrMany] = None
    #: ``GE_eventTime``: at or after.
    event_time_from: Optional[Instant] = None
    #: ``LT_eventTime``: before.
    event_time_to: Optional[Instant] = None
    #: ``GE_recordTime``
    record_time_from: Optional[Instant] = None
    #: ``LT_recordTime``
    record_time_to: Optional[Instant] = None
    #: ``EQ_m2m:reason``: a verify failure reason or a revocation reason.
    reason: Optional[OneOrMany] = None
    #: ``EQ_m2m:challengeId``
    challenge_id: Optional[OneOrMany] = None
    #: ``EQ_m2m:keyThumbprint``
    key_thumbprint: Optional[OneOrMany] = None
    #: ``EQ_m2m:actor``: ``api-key:admin``, ``device:<deviceId>``.
    actor: Optional[OneOrMany] = None
    #: ``EQ_m2m:requestId``
    request_id: Optional[OneOrMany] = None
    #: ``EQ_m2m:method``
    method: Optional[OneOrMany] = None
    #: ``perPage``: events per page, 1 to 1000 (service default 100).
    per_page: Optional[int] = None
    #: Further parameters exactly as the service names them, for filters added after this SDK.
    params: Optional[Mapping[str, str]] = None


_LIST_PARAMETERS = (
    ("event_type", "eventType"),
    ("action", "EQ_action"),
    ("biz_step", "EQ_bizStep"),
    ("disposition", "EQ_disposition"),
    ("any_epc", "MATCH_anyEPC"),
    ("event_id", "EQ_eventID"),
    ("reason", "EQ_m2m:reason"),
    ("challenge_id", "EQ_m2m:challengeId"),
    ("key_thumbprint", "EQ_m2m:keyThumbprint"),
    ("actor", "EQ_m2m:actor"),
    ("request_id", "EQ_m2m:requestId"),
    ("method", "EQ_m2m:method"),
)
_TIME_PARAMETERS = (
    ("event_time_from", "GE_eventTime"),
    ("event_time_to", "LT_eventTime"),
    ("record_time_from", "GE_recordTime"),
    ("record_time_to", "LT_recordTime"),
)


def _values(value: Optional[OneOrMany]) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def epcis_query_params(filters: EventFilters) -> dict[str, str]:
    """The query string for the filters. The service refuses a repeated parameter, so alternatives share one."""
    params: dict[str, str] = {}
    epcs = [device_epc(device_id) for device_id in _values(filters.device_id)] + _values(filters.epc)
    if epcs:
        params["MATCH_epc"] = "|".join(epcs)
    for option, name in _LIST_PARAMETERS:
        values = _values(getattr(filters, option))
        if values:
            params[name] = "|".join(values)
    for option, name in _TIME_PARAMETERS:
        instant = getattr(filters, option)
        if instant is not None:
            params[name] = _filter_value(instant)
    if filters.per_page is not None:
        params["perPage"] = _filter_value(filters.per_page)
    params.update(filters.params or {})
    return params


@dataclass(frozen=True)
class EventPage:
    """One page of audit events (the TypeScript SDK's ``EpcisEventPage``)."""

    events: list[JSON]
    #: The whole ``EPCISQueryDocument``, for callers that keep or re-validate it.
    document: JSON
    #: The ``rel="next"`` target, resolved; ``None`` on the last page. Pass to ``query_events`` as ``page`` to continue.
    next_page: Optional[str]


def _filters_of(filters: Optional[EventFilters], kwargs: Mapping[str, Any]) -> EventFilters:
    if filters is not None and kwargs:
        raise TypeError("pass the filters either as an EventFilters or as keyword arguments, not both")
    # An unknown name fails here, as a TypeError naming it.
    return filters if filters is not None else EventFilters(**kwargs)


def _page_call(filters: EventFilters, page: Optional[str]) -> Call:
    # The page token is bound to the filters, so a continuation carries them itself.
    return Call("GET", page) if page else Call("GET", "/epcis/events", params=epcis_query_params(filters))


def _page_of(response: httpx.Response) -> EventPage:
    document = checked(response).json()
    return EventPage(events=events_of(document), document=document, next_page=next_page_url(response))


class _PageWalk:
    """The calls for every page of one query, in order; what the sync and async loops share."""

    def __init__(self, filters: EventFilters) -> None:
        self.first = _page_call(filters, None)
        self._seen: set[str] = set()

    def after(self, page: EventPage) -> Optional[Call]:
        """The call for the page after ``page``; ``None`` after the last."""
        if page.next_page is None:
            return None
        if page.next_page in self._seen:
            raise M2MError(f"the service linked to {page.next_page} twice; stopping rather than looping", code="INVALID_RESPONSE")
        self._seen.add(page.next_page)
        return Call("GET", page.next_page)


class AuditApi:
    """``client.audit`` of :class:`~m2m_trust.M2MClient`."""

    def __init__(self, client: Executor) -> None:
        self._client = client

    def query_events(self, filters: Optional[EventFilters] = None, /, *, page: Optional[str] = None, **kwargs: Any) -> EventPage:
        """One page of audit events: the first for the filters, or with ``page`` (a previous page's
        ``next_page``) the page it names."""
        return _page_of(self._client._execute(_page_call(_filters_of(filters, kwargs), page)))

    def iter_pages(self, filters: Optional[EventFilters] = None, /, **kwargs: Any) -> Iterator[EventPage]:
        """Every page for the filters, following ``Link: <…>; rel="next"``."""
        walk = _PageWalk(_filters_of(filters, kwargs))
        call: Optional[Call] = walk.first
        while call is not None:
            page = _page_of(self._client._execute(call))
            yield page
            call = walk.after(page)

    def iter_events(self, filters: Optional[EventFilters] = None, /, **kwargs: Any) -> Iterator[JSON]:
        """Every audit event matching the filters, in record order, page after page as they are needed."""
        for page in self.iter_pages(filters, **kwargs):
            yield from page.events


class AsyncAuditApi:
    """``client.audit`` of :class:`~m2m_trust.AsyncM2MClient`: the same calls, awaited."""

    def __init__(self, client: AsyncExecutor) -> None:
        self._client = client

    async def query_events(self, filters: Optional[EventFilters] = None, /, *, page: Optional[str] = None, **kwargs: Any) -> EventPage:
        return _page_of(await self._client._execute(_page_call(_filters_of(filters, kwargs), page)))

    async def iter_pages(self, filters: Optional[EventFilters] = None, /, **kwargs: Any) -> AsyncIterator[EventPage]:
        walk = _PageWalk(_filters_of(filters, kwargs))
        call: Optional[Call] = walk.first
        while call is not None:
            page = _page_of(await self._client._execute(call))
            yield page
            call = walk.after(page)

    async def iter_events(self, filters: Optional[EventFilters] = None, /, **kwargs: Any) -> AsyncIterator[JSON]:
        async for page in self.iter_pages(filters, **kwargs):
            for event in page.events:
                yield event
