"""The exact contract: every status an operation can answer, the one error shape, links between operations.

Each route passes `responses=` built here, so the OpenAPI document names every status the API answers
(the local runtime's gateway and the resolver's own answers included) with the body it carries:

- 200 / 201 with the route's response model (201 where a route creates something);
- 401 no or an invalid bearer token (the gateway, or a token without `sub`);
- 403 a role that may never take the action (or a caller in no Minyi group);
- 404 a case, unit or key the caller may not know about (the same answer as for none at all);
- 409 the case is in no state for the action (`current_status`), or it changed meanwhile;
- 413 a body over 64 KB; 415 a body that is not JSON; 422 input that breaks the schema or a rule;
- 429 too many attempts (`Retry-After`); 500 our fault, with a `request_id` the logs carry;
- 503 a fresh stack with no catalogue yet (`catalog_empty`, `Retry-After`).

Every error is `{error, message, problems[{field, problem}]}`; 409s add `current_status` where the case's
status is the reason, 500s add `request_id`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from pydantic import BaseModel, ConfigDict, Field

from minyi.domain.base import Model
from minyi.domain.hotspots import Hotspot
from minyi.domain.scoreboard import Scores, UnitScores

# --- the one error shape ---------------------------------------------------------------------------


class ProblemView(Model):
    model_config = ConfigDict(extra="forbid", title="Problem")

    field: str = Field(description="the field at fault: `category`, `location.lat`, `attachments[0]`, `body`")
    problem: str = Field(description="what is wrong with it, in the caller's language")


def _no_default(schema: dict[str, Any]) -> None:
    """Optional fields that are absent rather than null: `current_status` (absent when the status is not
    the reason, a concurrent update) and `request_id` (absent on a handler's 4xx)."""
    for name in ("current_status", "request_id", "key", "params"):
        prop = schema.get("properties", {}).get(name, {})
        prop.pop("default", None)
        any_of = prop.pop("anyOf", None)
        if any_of:
            prop.update(next(s for s in any_of if s.get("type") != "null"))


class ErrorView(Model):
    """Every 4xx: a machine-readable code, a message in the caller's language (Simplified Chinese unless
    Accept-Language prefers English), and the fields at fault. Never echoes the input. API Gateway's own
    refusals (no or a bad token, no such route, throttling) carry the `request_id` too."""

    model_config = ConfigDict(extra="forbid", title="Error", json_schema_extra=_no_default)

    error: str = Field(description="validation_error, invalid_input, unauthorized, forbidden, not_found, …")
    message: str
    problems: list[ProblemView]
    request_id: str | None = Field(default=None, description="the id the gateway's and the function's logs carry")
    key: str | None = Field(default=None, description="the message's catalogue key, e.g. `error.unknown_topic`")
    params: dict[str, str | int | float | bool | None] | None = Field(
        default=None, description="the facts the message's text is rendered from"
    )


class ConflictView(ErrorView):
    """409: the case is in no state for the action (its `current_status`, checked before who holds it), or
    it changed while the caller acted on it (`concurrent_update`, no status: reload and retry)."""

    model_config = ConfigDict(extra="forbid", title="Conflict", json_schema_extra=_no_default)

    current_status: str | None = Field(
        default=None,
        description="what the resource is in now: a case's status (CaseStatus), or an account's (ENABLED, DISABLED)",
    )


class ServerErrorView(ErrorView):
    """500: names no exception; `request_id` is the id the logs carry."""

    model_config = ConfigDict(extra="forbid", title="ServerError")

    request_id: str


# --- response models of routes that answer a plain dict ---------------------------------------------


class StatsView(Model):
    """`GET /v1/stats` as JSON: totals, rates and the league table of units."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    unit_id: str | None = None
    totals: Scores
    units: list[UnitScores]
    submitted_by_channel: dict[str, int] = Field(description="submissions per channel (app, web, hotline, open311)")


class DistrictScoresView(Scores):
    district: str
    name: str


class PublicStatsView(Model):
    """The city's published numbers: rates and counts only, no case and no person."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    city: Scores
    districts: list[DistrictScoresView]
    units: list[UnitScores]
    submitted_by_channel: dict[str, int] = Field(
        default_factory=dict, description="submissions per channel (app, web, hotline, open311)"
    )


class HotspotsView(Model):
    """`GET /v1/hotspots`: the cells (about 150 m) whose reports of a topic reached their threshold on a
    day (未诉先办), most reports first."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    topic: str | None = None
    district: str | None = None
    min_reports: int = Field(description="the catalogue's hotspot_min_reports")
    hotspots: list[Hotspot] = Field(
        description="each with its cell's centre and bounds, count, baseline (mean per day over the 28 days "
        "before), threshold (max(min_reports, the 99.9 % Poisson bound of the baseline)) and tracking numbers"
    )


# --- responses= ------------------------------------------------------------------------------------

JSON = "application/json"
CSV = "text/csv"

_ERRORS: dict[int, tuple[str, type[BaseModel]]] = {
    401: ("Not signed in: no bearer token, or an invalid or expired one", ErrorView),
    403: ("The caller's role may not take this action", ErrorView),
    404: ("No such resource, or one the caller may not know about", ErrorView),
    409: ("The case is in no state for this action (`current_status`), or it changed meanwhile", ConflictView),
    413: ("The body is larger than 64 KB", ErrorView),
    415: ("The body is not JSON (`Content-Type: application/json`)", ErrorView),
    422: ("Invalid input: the schema or a business rule; `problems` names each field", ErrorView),
    429: ("Too many attempts; retry after `Retry-After` seconds", ErrorView),
    500: ("Our fault; quote the `request_id`", ServerErrorView),
    503: ("Not ready: no catalogue is loaded yet (`catalog_empty`); retry after `Retry-After` seconds", ErrorView),
}

RETRY_AFTER: dict[str, OpenAPIResponseHeader] = {
    "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}
}

#: Every operation: a body over the limit or too deep (the guard runs before any parser), a server fault.
ALWAYS = (413, 422, 500)
#: Every signed-in operation.
SIGNED_IN = (401, 403, *ALWAYS)


def error_response(status: int) -> OpenAPIResponse:
    description, model = _ERRORS[status]
    response: OpenAPIResponse = {"description": description, "content": {JSON: {"model": model}}}
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def responses(
    ok: int = 200,
    *errors: int,
    public: bool = False,
    body: bool = False,
    model: type[BaseModel] | None = None,
    description: str = "OK",
    links: dict[str, Any] | None = None,
    csv: str | None = None,
) -> dict[int, OpenAPIResponse]:
    """The `responses=` of one route: `ok` with the route's return model (or `model`), and the errors.

    `public`: no sign-in (no 401/403). `body`: the route reads a JSON body (415 for another type).
    `errors`: what else the route answers (404, 409, 429). `csv`: the route also answers `text/csv`
    (described by this text). `links`: OpenAPI links from the success answer to other operations."""
    success: OpenAPIResponse = {"description": description}
    if model is not None or csv is not None:
        content: dict[str, Any] = {}
        if model is not None:
            content[JSON] = {"model": model}
        if csv is not None:
            content[CSV] = {"schema": {"type": "string", "description": csv}}
        success["content"] = content
    if links:
        success["links"] = links
    statuses = set(ALWAYS if public else SIGNED_IN) | set(errors)
    if body:
        statuses.add(415)
    out: dict[int, OpenAPIResponse] = {ok: success}
    for status in sorted(statuses):
        out[status] = error_response(status)
    return out


def link(path: str, method: str, description: str, parameter: str = "case_id", source: str = "id") -> dict[str, Any]:
    """An OpenAPI link to `method path`, its path parameter taken from the answer's body."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {
        "operationRef": f"#/paths/{pointer}/{method.lower()}",
        "parameters": {parameter: f"$response.body#/{source}"},
        "description": description,
    }


#: From a case as its citizen sees it to what its citizen may do with it.
OWNER_LINKS: dict[str, Any] = {
    "GetRequest": link("/v1/requests/{case_id}", "GET", "the case, as its citizen sees it"),
    "GetRequestTimeline": link("/v1/requests/{case_id}/timeline", "GET", "its public timeline"),
    "WithdrawRequest": link("/v1/requests/{case_id}/withdraw", "POST", "withdraw it"),
    "SupplementRequest": link("/v1/requests/{case_id}/supplements", "POST", "add information to it"),
    "RateRequest": link("/v1/requests/{case_id}/rating", "POST", "rate the unit's reply"),
}

#: From a case as staff see it to what units, dispatchers and supervisors may do with it.
STAFF_LINKS: dict[str, Any] = {
    "GetCase": link("/v1/cases/{case_id}", "GET", "the case, as staff see it"),
    "GetCaseTimeline": link("/v1/cases/{case_id}/timeline", "GET", "its staff timeline"),
    "AddNote": link("/v1/cases/{case_id}/notes", "POST", "an internal note"),
    "DispatchCase": link("/v1/cases/{case_id}/dispatch", "POST", "dispatch or transfer it"),
    "CorrectClassification": link("/v1/cases/{case_id}/classification", "POST", "correct its topic or district"),
    "AcceptCase": link("/v1/cases/{case_id}/accept", "POST", "the unit takes it up"),
    "ReplyToCase": link("/v1/cases/{case_id}/reply", "POST", "the unit answers"),
    "ReturnCase": link("/v1/cases/{case_id}/return", "POST", "the unit returns it as misrouted"),
    "RequestExtension": link("/v1/cases/{case_id}/extension", "POST", "the unit asks for more days"),
    "DecideExtension": link("/v1/cases/{case_id}/extension/decision", "POST", "a supervisor decides"),
    "Instruct": link("/v1/cases/{case_id}/supervision", "POST", "a supervisor's instructions"),
}

#: From a created case (`POST /v1/requests` 201) to its reads and actions, whoever takes them.
CASE_LINKS: dict[str, Any] = {
    **OWNER_LINKS,
    "TrackRequest": link(
        "/v1/track/{tracking_no}", "GET", "public tracking by its number", parameter="tracking_no", source="tracking_no"
    ),
    **STAFF_LINKS,
}


# --- Open311 GeoReport v2 ------------------------------------------------------------------------------

XML = "text/xml"

#: A GeoReport error list: `[{code, description}]` in JSON, `<errors><error>…` in XML.
GEOREPORT_ERRORS: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        "required": ["code", "description"],
    },
}

_GEOREPORT_STATUSES = {
    400: "Invalid parameters (GeoReport error list)",
    403: "A missing, invalid or revoked `api_key` (GeoReport error list)",
    404: "No such service, request, token or format (GeoReport error list)",
    409: "The first request with this idempotency key is still being processed (GeoReport error list)",
    429: "More requests a minute than the key may make; retry after `Retry-After` seconds (GeoReport error list)",
    503: "Not ready: no catalogue is loaded yet; retry after `Retry-After` seconds (GeoReport error list)",
}


def georeport_responses(fmt: str | None, ok: dict[str, Any], *errors: int) -> dict[int, OpenAPIResponse]:
    """`responses=` of a GeoReport route answering `fmt` (`xml`, `json`, or None: either, by the path's
    suffix): `ok` is the JSON schema of the success answer. The resolver's own answers (a body over the
    limit, a path parameter too long, a server fault) keep the API's one error shape."""

    def content(schema: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if fmt in (None, "xml"):
            out[XML] = {"schema": {"type": "string", "description": "the same document in GeoReport XML"}}
        if fmt in (None, "json"):
            out[JSON] = {"schema": schema}
        return out

    out: dict[int, OpenAPIResponse] = {200: {"description": "OK", "content": content(ok)}}
    for status in sorted({*errors, *ALWAYS}):
        if status in _GEOREPORT_STATUSES:
            response: OpenAPIResponse = {
                "description": _GEOREPORT_STATUSES[status],
                "content": content(GEOREPORT_ERRORS),
            }
            if status in (429, 503):
                response["headers"] = RETRY_AFTER
            out[status] = response
        else:
            out[status] = error_response(status)
    return out
