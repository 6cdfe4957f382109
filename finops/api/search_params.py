"""What the calls and traces APIs share: the search parameters (``finops.search.params``), a
400 naming each bad parameter, keyset pagination and their OpenAPI description."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from finops.search.cursor import BadCursor
from finops.search.keyset import Sorts, page
from finops.search.params import CallSearch, parse_search

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def search_from(request) -> CallSearch:
    """The search of an API request; a 400 ``{parameter: message}`` for any bad value."""
    params = request.query_params
    search, errors = parse_search(params, params.getlist("attr"))
    if errors:
        raise exceptions.ValidationError(errors)
    return search


class KeysetPagination(pagination.BasePagination):
    """``?cursor=&page_size=``: ``{"next": url or null, "results": [...]}``. The view sets
    ``sorts`` (its sort keys) and ``search`` before paginating."""

    def paginate_queryset(self, queryset, request, view=None):
        size = _page_size(request)
        search: CallSearch = view.search
        sorts: Sorts = view.sorts
        if search.sort_key not in sorts:
            raise exceptions.ValidationError(
                {"sort": f"sort by {', '.join(sorts)} (- for descending)"}
            )
        try:
            found = page(queryset, sorts, search.sort, request.query_params.get("cursor", ""), size)
        except BadCursor as exc:
            raise exceptions.ValidationError({"cursor": str(exc)}) from exc
        url = request.build_absolute_uri()
        self.next_url = (
            replace_query_param(url, "cursor", found.next_cursor) if found.next_cursor else None
        )
        return found.rows

    def get_paginated_response(self, data):
        return Response({"next": self.next_url, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "The `next` link's cursor; bound to the sort it was made for.",
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                "description": f"Rows per page (default {DEFAULT_PAGE_SIZE}).",
            },
        ]


def _page_size(request) -> int:
    raw = request.query_params.get("page_size", "")
    if not raw:
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise exceptions.ValidationError({"page_size": f"a whole number from 1 to {MAX_PAGE_SIZE}"})
    return int(raw)


def _p(name: str, description: str, kind=OpenApiTypes.STR, **extra) -> OpenApiParameter:
    return OpenApiParameter(name, kind, description=description, **extra)


COMMON_PARAMETERS = [
    _p("project", "Project slug (session auth; an API key reads its own project)"),
    _p("start", "ISO date (its midnight UTC) or datetime, inclusive"),
    _p("end", "ISO datetime (exclusive) or date (inclusive: the whole day)"),
    _p("feature", "Feature; `(unattributed)` = calls without one"),
    _p("segment", "Customer segment; `(unattributed)` = none"),
    _p("customer", "Customer id"),
    _p("session", "Session id"),
    _p("trace_id", "32 hex characters"),
    _p("status", "`ok` or `error`", enum=["ok", "error"]),
    _p("is_retry", "1: with retries / retries only; 0: without", OpenApiTypes.BOOL),
    _p("is_fallback", "1: fallbacks; 0: none", OpenApiTypes.BOOL),
    _p("cache_hit", "1: app-cache hits; 0: none", OpenApiTypes.BOOL),
    _p("escalation", "`model`, `human`, `any` or `none`", enum=["model", "human", "any", "none"]),
    _p("min_cost", "USD, inclusive", OpenApiTypes.DECIMAL),
    _p("max_cost", "USD, inclusive", OpenApiTypes.DECIMAL),
    _p("min_latency_ms", "Milliseconds, inclusive", OpenApiTypes.NUMBER),
    _p("max_latency_ms", "Milliseconds, inclusive", OpenApiTypes.NUMBER),
    _p("template", "Prompt template; `(unattributed)` = none"),
    _p("template_version", "Prompt template version"),
    _p("model", "Model that answered (else the one requested), as dashboards group"),
    _p("request_model", "Model requested"),
    _p("provider", "Provider (openai, anthropic…)"),
    _p("route", "Route / tier chosen by the app's router"),
    _p("error_type", "Error type (exact)"),
    _p("min_input_tokens", "Inclusive", OpenApiTypes.INT),
    _p("max_input_tokens", "Inclusive", OpenApiTypes.INT),
    _p("min_output_tokens", "Inclusive", OpenApiTypes.INT),
    _p("max_output_tokens", "Inclusive", OpenApiTypes.INT),
    _p("span_id", "16 hex characters"),
    _p("attr", "Span attribute `key=value` of the call's span; repeat for several", many=True),
    _p("q", "Words in prompts or completions (case-insensitive substring)"),
]
