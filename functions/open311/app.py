"""Open311 GeoReport v2 under /open311/v2/ (no sign-in; POST needs an api_key): XML and JSON.

Thin: parameters are read as the specification sends them (query string, form-encoded POST body,
comma-separated lists), handed to the Open311 service, and its results rendered by
`minyi.open311.render`. Every error is a GeoReport error list (`<errors><error><code>...`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap, text
from minyi.api.http import create_app, resolve
from minyi.api.openapi import georeport_responses
from minyi.config import Open311Settings
from minyi.domain.errors import DomainError, InvalidInput
from minyi.observability import logger, metrics, tracer
from minyi.open311 import render
from minyi.open311.errors import Open311Error, Problem, bad_request, not_found
from minyi.open311.model import Discovery, Endpoint
from minyi.open311.params import form_fields, refuse_key_in_url, split_format
from minyi.services.open311 import Open311Service

settings = Open311Settings.from_env()
app = create_app(json_bodies=False)  # form-encoded POSTs, as GeoReport v2 sends them

PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this endpoint last changed in a way clients should notice (discovery `changeset`).
CHANGESET = datetime(2026, 11, 26, tzinfo=UTC)
MAX_FORM_FIELDS = 100

Opt = Annotated[str | None, Query(description="empty is the same as absent")]


def _shaped(pattern: str, description: str) -> Any:  # a Query, for Annotated
    """A parameter whose shape the document states (`minyi.open311.params` checks it, and answers a
    GeoReport 400): the pattern lets blanks through, as the service treats them as absent."""
    extra = {"pattern": rf"^\s*(?:{pattern})?\s*$"}
    return Query(description=f"{description}; empty is the same as absent", json_schema_extra=extra)


_TWO = "[0-9]{2}"
_W3C_DATE = (
    rf"[0-9]{{4}}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    rf"(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{{1,6}})?)?(?:Z|[+-]{_TWO}:{_TWO}))?"
)
Date = Annotated[
    str | None, _shaped(_W3C_DATE, "W3C date-time with a time zone (2026-11-01T00:00:00+08:00), or a day (2026-11-01)")
]
Page = Annotated[str | None, _shaped("0*(?:[1-9][0-9]{0,3}|10000)", "1 to 10000")]
PageSize = Annotated[str | None, _shaped("0*(?:[1-9][0-9]{0,2}|1000)", "1 to 1000")]
Status = Annotated[
    str | None, _shaped(r"(?:open|closed)?(?:\s*,\s*(?:open|closed)?)*", "open, closed or both (comma-separated)")
]
Flag = Annotated[str | None, _shaped("[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]", "true or false")]

OBJECT: dict[str, Any] = {"type": "object"}
LIST: dict[str, Any] = {"type": "array", "items": {"type": "object"}}


@cache
def service() -> Open311Service:
    return bootstrap.open311_service(settings)


# --- plumbing --------------------------------------------------------------------------------------


def _format(path: str | None = None) -> render.Format:
    """The format the path asks for (`.json`), XML otherwise: the specification's required format."""
    return "json" if (path or app.current_event.path or "").endswith(".json") else "xml"


def _answer(
    body: str, status: int = 200, fmt: render.Format | None = None, headers: dict[str, str] | None = None
) -> Response[str]:
    fmt = fmt or _format()
    return Response(status_code=status, content_type=render.CONTENT_TYPES[fmt], body=body, headers=headers)


def _params() -> dict[str, str]:
    """Query parameters; a repeated parameter is the same as a comma-separated one."""
    multi = app.current_event.multi_value_query_string_parameters or {}
    single = app.current_event.query_string_parameters or {}
    refuse_key_in_url(single)
    out = {k: ",".join(v for v in values if v.strip()) for k, values in multi.items()}
    return {**single, **out} if out else dict(single)


def _form() -> dict[str, str]:
    """The form-encoded body (the query string too, for clients that send parameters there, but
    never the api_key: a key in the URL is a 400)."""
    content_type = str(app.current_event.headers.get("Content-Type") or app.current_event.headers.get("content-type"))
    body = app.current_event.decoded_body or ""
    if body and not content_type.lower().startswith("application/x-www-form-urlencoded"):
        raise bad_request("body: send the parameters form-encoded (application/x-www-form-urlencoded)")
    try:
        fields = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:
        raise bad_request(f"body: at most {MAX_FORM_FIELDS} parameters") from exc
    return form_fields(app.current_event.query_string_parameters, fields)


def _header(name: str) -> str | None:
    headers = app.current_event.headers or {}
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _base_url() -> str:
    if settings.open311_public_url:
        return settings.open311_public_url.rstrip("/")
    ctx = app.current_event.request_context
    domain = getattr(ctx, "domain_name", None)
    if domain:
        stage = f"/{ctx.stage}" if domain.endswith(".amazonaws.com") and ctx.stage else ""
        return f"https://{domain}{stage}{PREFIX}"
    host = _header("Host") or "localhost"
    proto = _header("X-Forwarded-Proto") or "http"
    return f"{proto}://{host}{PREFIX}"


@app.exception_handler(Open311Error)
def _open311_error(exc: Open311Error) -> Response[str]:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return _answer(render.errors(exc.problems, _format()), exc.status, headers=headers)


@app.exception_handler(InvalidInput)
def _invalid(exc: InvalidInput) -> Response[str]:
    return _answer(render.errors([Problem(400, f"{exc.field}: {text.render(exc.problem, 'en')}")], _format()), 400)


@app.exception_handler(DomainError)
def _domain(exc: DomainError) -> Response[str]:
    return _answer(render.errors([Problem(409, text.render(exc.message, "en"))], _format()), 409)


@app.not_found
def _no_route(exc: Exception) -> Response[str]:
    return _answer(render.errors([Problem(404, "no such resource")], _format()), 404)


# --- routes ----------------------------------------------------------------------------------------


@app.get(
    f"{PREFIX}/discovery.xml", summary="Open311 service discovery (XML)", responses=georeport_responses("xml", OBJECT)
)
@app.get(
    f"{PREFIX}/discovery.json",
    summary="Open311 service discovery (JSON)",
    responses=georeport_responses("json", OBJECT),
)
def discovery() -> Response[str]:
    doc = Discovery(
        changeset=CHANGESET,
        contact=settings.open311_contact,
        key_service=settings.open311_key_service,
        endpoints=[
            Endpoint(
                specification=SPECIFICATION,
                url=_base_url(),
                changeset=CHANGESET,
                type="production",
                formats=[render.CONTENT_TYPES["xml"].split(";")[0], render.CONTENT_TYPES["json"].split(";")[0]],
            )
        ],
    )
    return _answer(render.discovery(doc, _format()))


@app.get(
    f"{PREFIX}/services.xml",
    summary="GeoReport: the services (one per topic), XML",
    responses=georeport_responses("xml", LIST),
)
@app.get(
    f"{PREFIX}/services.json",
    summary="GeoReport: the services (one per topic), JSON",
    responses=georeport_responses("json", LIST),
)
def services(jurisdiction_id: Opt = None) -> Response[str]:
    return _answer(render.services(service().services(), _format()))


@app.get(
    f"{PREFIX}/services/<service_code>",
    summary="GeoReport: a service definition (`{code}.xml`/`.json`)",
    responses=georeport_responses(None, OBJECT, 404),
)
def service_definition(service_code: Annotated[str, Path(max_length=80)]) -> Response[str]:
    code, fmt = split_format(service_code)
    if fmt is None:
        raise not_found("no such resource: add .xml or .json")
    return _answer(render.service_definition(service().definition(code), fmt), fmt=fmt)


@app.post(
    f"{PREFIX}/requests.xml",
    summary="GeoReport: file a request (form-encoded, api_key), XML",
    responses=georeport_responses("xml", LIST, 400, 403, 404, 409, 429, 503),
)
@app.post(
    f"{PREFIX}/requests.json",
    summary="GeoReport: file a request (form-encoded, api_key), JSON",
    responses=georeport_responses("json", LIST, 400, 403, 404, 409, 429, 503),
)
def post_request() -> Response[str]:
    """Form fields: api_key, service_code, lat+long or address_string, attribute[category],
    attribute[district] (unless lat/long are in Shenzhen), description, media_url, phone, first_name,
    last_name, email, device_id, account_id; optional idempotency_key (or the Idempotency-Key header)."""
    from minyi.open311.params import idempotency_key, present

    form = _form()
    token = idempotency_key(form, _header("Idempotency-Key"))
    submitted = service().submit(present(form).get("api_key"), form, token)
    return _answer(render.submitted([submitted], _format()))


@app.get(
    f"{PREFIX}/requests.xml",
    summary="GeoReport: requests (filters, paging, 90 days by default), XML",
    responses=georeport_responses("xml", LIST, 400),
)
@app.get(
    f"{PREFIX}/requests.json",
    summary="GeoReport: requests (filters, paging, 90 days by default), JSON",
    responses=georeport_responses("json", LIST, 400),
)
def get_requests(
    service_request_id: Opt = None,
    service_code: Opt = None,
    start_date: Date = None,
    end_date: Date = None,
    status: Status = None,
    page: Page = None,
    page_size: PageSize = None,
    extensions: Flag = None,
) -> Response[str]:
    items, with_extensions = service().find(_params())
    return _answer(render.requests(items, _format(), with_extensions))


@app.get(
    f"{PREFIX}/requests/<service_request_id>",
    summary="GeoReport: one request (`{id}.xml`/`.json`)",
    responses=georeport_responses(None, LIST, 400, 404),
)
def get_request(service_request_id: Annotated[str, Path(max_length=80)], extensions: Flag = None) -> Response[str]:
    number, fmt = split_format(service_request_id)
    if fmt is None:
        raise not_found("no such resource: add .xml or .json")
    found, with_extensions = service().request(number, _params())
    return _answer(render.requests([found], fmt, with_extensions), fmt=fmt)


@app.get(
    f"{PREFIX}/tokens/<token>",
    summary="GeoReport: the request id of a token (`{token}.xml`/`.json`)",
    responses=georeport_responses(None, LIST, 404),
)
def get_token(token: Annotated[str, Path(max_length=80)]) -> Response[str]:
    value, fmt = split_format(token)
    if fmt is None:
        raise not_found("no such resource: add .xml or .json")
    return _answer(render.tokens([service().token(value)], fmt), fmt=fmt)


@app.get(
    f"{PREFIX}/servicerequestupdates.xml",
    summary="Updates extension: public status changes, XML",
    responses=georeport_responses("xml", LIST, 400),
)
@app.get(
    f"{PREFIX}/servicerequestupdates.json",
    summary="Updates extension: public status changes, JSON",
    responses=georeport_responses("json", LIST, 400),
)
def get_updates(
    start_date: Date = None, end_date: Date = None, page: Page = None, page_size: PageSize = None
) -> Response[str]:
    return _answer(render.updates(service().updates(_params()), _format()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
