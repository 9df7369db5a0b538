"""Shared HTTP plumbing for the API functions: resolver factory, caller identity, error mapping."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from minyi import text
from minyi.api import i18n
from minyi.api.body_guard import check_body, check_json_object
from minyi.domain.accounts import STAFF_ROLES
from minyi.domain.errors import (
    ConcurrentUpdate,
    DomainError,
    Forbidden,
    InvalidFields,
    InvalidInput,
    InvalidTransition,
    InvalidValue,
    NotFound,
    TooManyAttempts,
    Unavailable,
)
from minyi.domain.messages import Message, ParamValue, message
from minyi.domain.models import Actor, Language, Role
from minyi.observability import logger

if TYPE_CHECKING:
    from minyi.services.account_status import AccountGate


class Unauthorized(DomainError):
    code = "unauthorized"


def _json(
    status: int, error: str, message: str, problems: list[dict[str, str]] | None = None, msg: Message | None = None
) -> Response[Any]:
    body: dict[str, Any] = {"error": error, "message": message, "problems": problems or []}
    if msg is not None:
        body.update(key=msg.key, params=dict(msg.params))
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _action(spec: str, value: str, language: Language) -> str | None:
    """`{action:action}`: the verb of a refused transition (`error.action.*`); `{title:omitted}`: a fact
    a language leaves out (English states the problems without the title)."""
    if spec == "omitted":
        return ""
    if spec != "action":
        return None
    key = "error.action." + value.replace(" ", "_")
    return text.template(key, language) if text.has(key) else None


def _say(msg: Message | str, language: Language, **params: Any) -> str:
    """One of our messages (or a key with params) in the reader's language."""
    return text.render(msg, language, _action, **params)


def _problem_text(problem: Message | str, language: Language) -> str:
    """A problem's text; a document's own check (`InvalidFields`) may still be a text of its own."""
    return _say(problem, language) if isinstance(problem, Message) else problem


def _with_problems(code: str, problems: list[dict[str, str]], language: Language) -> str:
    """The answer's message for field problems: the title, then each field and its problem."""
    lines = _say("error.problem_separator", language).join(
        _say("error.problem_line", language, field=p["field"], problem=p["problem"]) for p in problems
    )
    return _say("error.with_problems", language, title=_say(f"error.title.{code}", language), problems=lines)


def validation_problem(error: dict[str, Any], language: Language) -> tuple[str, Message | None]:
    """A pydantic error in `language`, worded from its type (`error.validation.<type>`); a validator's
    `InvalidValue` by its own message. Types without a key keep pydantic's English."""
    context = dict(error.get("ctx") or {})
    cause = context.get("error")
    if isinstance(cause, InvalidValue):
        return _say(cause.message, language), cause.message
    key = f"error.validation.{error.get('type')}"
    if not text.has(key):
        return str(error.get("msg", "invalid")).removeprefix("Value error, "), None
    facts: dict[str, ParamValue] = {
        str(name): value if isinstance(value, str | int | float | bool) else str(value)
        for name, value in context.items()
    }
    msg = Message(key=key, params=facts)
    return _say(msg, language), msg


def _field_path(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    path = ""
    for p in parts:
        path += f"[{p}]" if p.isdigit() else (f".{p}" if path else p)
    return path or "body"


def _language_of(headers: dict[str, str] | None) -> Language:
    return text.negotiate(i18n.accept_language(headers))


#: What a JSON route answers for a body of another type (415).
NOT_JSON = "error.not_json"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON_BODIES = "_minyi_json_bodies"


def create_app(json_bodies: bool = True) -> APIGatewayRestResolver:
    """A REST resolver with request validation and JSON errors that name the field, in the caller's
    language (Simplified Chinese unless Accept-Language prefers English), rendered from the message
    catalogue (`minyi.text`); each answer carries the message's `key` and `params` too.

    `json_bodies`: its routes read JSON only, so `resolve` answers 415 for a body of any other type
    (the resolver would otherwise parse a form-encoded body, or fail on others)."""
    app = APIGatewayRestResolver(enable_validation=True)
    setattr(app, _JSON_BODIES, json_bodies)

    def language() -> Language:
        try:
            return _language_of(dict(app.current_event.headers or {}))
        except (AttributeError, KeyError):
            return text.DEFAULT_LANGUAGE

    def error(status: int, code: str, msg: Message) -> Response[Any]:
        return _json(status, code, _say(msg, language()), msg=msg)

    def problems_error(
        status: int, code: str, problems: list[tuple[str, Message | str]], msg: Message | None = None
    ) -> Response[Any]:
        lang = language()
        shown = [{"field": field, "problem": _problem_text(problem, lang)} for field, problem in problems]
        return _json(status, code, _with_problems(code, shown, lang), shown, msg)

    @app.exception_handler(RequestValidationError)
    def _validation(exc: RequestValidationError) -> Response[Any]:
        lang = language()
        shown = []
        for e in exc.errors():
            problem, _ = validation_problem(dict(e), lang)
            shown.append({"field": _field_path(e.get("loc", ())), "problem": problem})
        msg = message("error.title.validation_error")
        return _json(422, "validation_error", _with_problems("validation_error", shown, lang), shown, msg)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(exc: RequestUnsupportedContentType) -> Response[Any]:
        return problems_error(415, "unsupported_media_type", [("Content-Type", message(NOT_JSON))], message(NOT_JSON))

    @app.exception_handler(InvalidInput)
    def _invalid(exc: InvalidInput) -> Response[Any]:
        return problems_error(422, exc.code, [(exc.field, exc.problem)], exc.problem)

    @app.exception_handler(InvalidFields)
    def _invalid_fields(exc: InvalidFields) -> Response[Any]:
        return problems_error(422, exc.code, exc.problems, exc.message)

    @app.exception_handler(Unavailable)
    def _unavailable(exc: Unavailable) -> Response[Any]:
        resp = error(503, exc.code, exc.message)
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.exception_handler(NotFound)
    def _not_found(exc: NotFound) -> Response[Any]:
        return error(404, exc.code, exc.message)

    @app.exception_handler(Forbidden)
    def _forbidden(exc: Forbidden) -> Response[Any]:
        return error(403, exc.code, exc.message)

    @app.exception_handler(Unauthorized)
    def _unauthorized(exc: Unauthorized) -> Response[Any]:
        return error(401, exc.code, exc.message)

    @app.exception_handler(InvalidTransition)
    def _conflict(exc: InvalidTransition) -> Response[Any]:
        lang = language()
        refused = _say(exc.message, lang)
        if exc.detail is not None:
            refused = _say("error.transition_because", lang, refused=refused, detail=_say(exc.detail, lang))
        resp = _json(409, exc.code, refused, msg=exc.detail or exc.message)
        assert isinstance(resp.body, dict)
        resp.body["current_status"] = str(exc.status)
        return resp

    @app.exception_handler(TooManyAttempts)
    def _too_many(exc: TooManyAttempts) -> Response[Any]:
        resp = error(429, exc.code, exc.message)
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.exception_handler(ConcurrentUpdate)
    def _concurrent(exc: ConcurrentUpdate) -> Response[Any]:
        # what the writer lost to is for the log; the caller reloads and retries
        return error(409, exc.code, message("error.title.concurrent_update"))

    @app.exception_handler(DomainError)
    def _other(exc: DomainError) -> Response[Any]:
        return error(409, exc.code, exc.message)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[Any]:
        # Never name the exception to the caller; the request id ties the answer to the log line.
        request_id = _request_id(app)
        logger.exception("unhandled error", extra={"request_id": request_id})
        resp = error(500, "internal_error", message("error.internal", request_id=request_id))
        assert isinstance(resp.body, dict)
        resp.body["request_id"] = request_id
        return resp

    @app.not_found
    def _no_route(exc: Exception) -> Response[Any]:
        return error(404, "no_route", message("error.no_route"))

    return app


def _request_id(app: APIGatewayRestResolver) -> str:
    try:
        return str(app.current_event.request_context.request_id)
    except (AttributeError, KeyError):
        return "unknown"


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == content_types.APPLICATION_JSON or media.endswith("+json")


def _refusal(event: dict[str, Any], status: int, error: str, field: str, problem: Message) -> dict[str, Any]:
    lang = _language_of(event.get("headers"))
    shown = [{"field": field, "problem": _say(problem, lang)}]
    body = {
        "error": error,
        "message": _with_problems(error, shown, lang),
        "problems": shown,
        "key": problem.key,
        "params": dict(problem.params),
    }
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON, "Cache-Control": "no-store"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def resolve(
    app: APIGatewayRestResolver, event: dict[str, Any], context: Any, max_body_bytes: int | None = None
) -> dict[str, Any]:
    """`app.resolve` behind the body guard: hostile bodies are refused before any parser runs, and a
    JSON API refuses a body of another type (415) rather than parse it as a form."""
    body = event.get("body") if isinstance(event, dict) else None
    problem = check_body(body) if max_body_bytes is None else check_body(body, max_body_bytes)
    if problem is not None:
        return _refusal(event, problem.status, problem.error, "body", problem.problem)
    if body and getattr(app, _JSON_BODIES, False) and str(event.get("httpMethod", "")).upper() in _BODY_METHODS:
        headers = event.get("headers") or {}
        content_type = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
        if content_type and not _is_json(content_type):
            return _refusal(event, 415, "unsupported_media_type", "Content-Type", message(NOT_JSON))
        problem = check_json_object(body)
        if problem is not None:
            return _refusal(event, problem.status, problem.error, problem.field, problem.problem)
    reader = i18n.set_reader_language(event.get("headers") if isinstance(event, dict) else None)
    try:
        response = app.resolve(event, context)
    finally:
        i18n.reset_reader_language(reader)
    _cache_headers(event, response)
    return response


#: Answers without personal data that browsers and CDNs may keep for a while: the city's published
#: counts (read by everyone who opens the public scoreboard; they say they lag by minutes).
CACHEABLE_PATHS = frozenset({"/v1/public/stats"})
CACHEABLE_MAX_AGE_SECONDS = 300
#: Answers without personal data that may be stored but must be revalidated on every use: the catalogue.
#: An admin's new document must show in the very next form (a new topic, a district's area), so a browser
#: or CDN keeps its copy with an ETag and asks again each time; an unchanged catalogue answers 304 with no
#: body.
REVALIDATED_PATHS = frozenset({"/v1/catalog"})


def _cache_headers(event: dict[str, Any], response: dict[str, Any]) -> None:
    """Every answer may carry personal data and must not be stored by a browser or proxy, except the
    public catalogue (stored, revalidated by ETag) and the published counts (stored for a while)."""
    resource = event.get("resource")
    ok = response.get("statusCode") == 200
    if resource in CACHEABLE_PATHS and ok:
        value = f"public, max-age={CACHEABLE_MAX_AGE_SECONDS}"
    elif resource in REVALIDATED_PATHS and ok:
        value = "public, no-cache"
        _revalidate(event, response)
    else:
        value = "no-store"
    _set_header(response, "Cache-Control", value)


def _revalidate(event: dict[str, Any], response: dict[str, Any]) -> None:
    """A strong ETag of the answer's body; 304 without the body when the caller already holds it."""
    import hashlib

    body = response.get("body") or ""
    tag = '"' + hashlib.sha256(str(body).encode()).hexdigest()[:32] + '"'
    _set_header(response, "ETag", tag)
    headers = event.get("headers") or {}
    held = next((str(v) for k, v in headers.items() if k.lower() == "if-none-match"), "")
    if tag in (part.strip().removeprefix("W/") for part in held.split(",")) or held.strip() == "*":
        response["statusCode"] = 304
        response["body"] = ""
        response["isBase64Encoded"] = False


def _set_header(response: dict[str, Any], name: str, value: str) -> None:
    if "multiValueHeaders" in response and response["multiValueHeaders"] is not None:
        response["multiValueHeaders"][name] = [value]
    else:
        response.setdefault("headers", {})[name] = value


_ACCOUNT_GATE = "_minyi_account_gate"


def guard_accounts(app: APIGatewayRestResolver, gate: AccountGate | None) -> None:
    """Check this app's staff callers against `gate` (tests: one on a clock they move); None goes back
    to the gate `minyi.bootstrap` builds on first use."""
    setattr(app, _ACCOUNT_GATE, gate)


def _account_gate(app: APIGatewayRestResolver) -> AccountGate:
    gate: AccountGate | None = getattr(app, _ACCOUNT_GATE, None)
    if gate is None:
        from minyi import bootstrap  # on the first staff request, not at every handler's cold start

        gate = bootstrap.account_gate()
        setattr(app, _ACCOUNT_GATE, gate)
    return gate


#: The viewer's address as CloudFront's viewer-request function on every API route writes it (template.yaml
#: `ApiViewerFunction`: it overwrites whatever a caller sent), the same header the API's WAF rate rules key on.
VIEWER_ADDRESS_HEADER = "x-minyi-viewer-ip"


def client_address(app: APIGatewayRestResolver) -> str:
    """The address of the client behind the request, the one place that decides it: the viewer address
    CloudFront writes when the request came through CloudFront (API Gateway's source IP is then
    CloudFront's edge), else API Gateway's `requestContext.identity.sourceIp` (locally, the peer of the
    connection). A header that names no IP address is ignored. Personal data: compare it, never log it
    unmasked."""
    import ipaddress

    event = app.current_event
    viewer = next((str(v) for k, v in (event.headers or {}).items() if k.lower() == VIEWER_ADDRESS_HEADER), "")
    try:
        return str(ipaddress.ip_address(viewer.strip()))
    except ValueError:
        pass
    try:
        source = event.request_context.identity.source_ip
    except (AttributeError, KeyError):
        source = None
    return str(source or "unknown")


def caller(app: APIGatewayRestResolver) -> Actor:
    """The signed-in caller from the Cognito authorizer's claims (verified by API Gateway). A staff-desk
    account an admin disabled answers 401 whatever token it holds (within the gate's minute:
    `minyi.services.account_status`)."""
    actor = _claimed_actor(app)
    if actor.role in STAFF_ROLES and not _account_gate(app).is_active(actor):
        raise Unauthorized("error.account_disabled")
    return actor


#: Staff roles by precedence: a staff-pool account's groups name its role (the highest wins).
_STAFF_BY_PRECEDENCE = (Role.ADMIN, Role.SUPERVISOR, Role.DISPATCHER, Role.STAFF, Role.OPERATOR)


def issuer_pool(claims: dict[str, Any]) -> str | None:
    """The user pool that signed the token (Cognito: `iss` is `https://cognito-idp.<region>.amazonaws.com/<pool>`)."""
    issuer = str(claims.get("iss") or "").rstrip("/")
    if "/" not in issuer:
        return None
    return issuer.rsplit("/", 1)[-1] or None


def _citizen_pool() -> str | None:
    """The citizen pool's id as the function's environment names it (fixed in a Lambda container; read
    anew where it changes, as between the functions of one local process)."""
    return _citizen_pool_named(os.environ.get("CITIZEN_USER_POOL_ID"))


@functools.cache
def _citizen_pool_named(raw: str | None) -> str | None:
    from minyi.config import IdentitySettings

    return IdentitySettings(citizen_user_pool_id=raw).citizen_user_pool_id


def _role(claims: dict[str, Any]) -> Role:
    """A citizen is a citizen because the citizen pool signed the token, whatever its groups (a failed
    PostConfirmation cannot strand an account; a group added there cannot make anyone staff). Staff roles
    come from the staff pool's groups. Without a configured citizen pool (service tests), the `citizen`
    group still names a citizen."""
    citizen_pool = _citizen_pool()
    if citizen_pool is not None and issuer_pool(claims) == citizen_pool:
        return Role.CITIZEN
    groups = str(claims.get("cognito:groups", "")).strip("[]").replace(",", " ").split()
    for role in _STAFF_BY_PRECEDENCE:
        if role.value in groups:
            return role
    if citizen_pool is None and Role.CITIZEN.value in groups:
        return Role.CITIZEN
    raise Forbidden("error.no_minyi_group")


def _claimed_actor(app: APIGatewayRestResolver) -> Actor:
    claims: dict[str, Any] = dict(app.current_event.request_context.authorizer.claims or {})
    sub = claims.get("sub")
    if not sub:
        raise Unauthorized("error.no_verified_identity")
    role = _role(claims)
    locale = str(claims.get("locale") or "").lower()
    language: Language | None = "en" if locale.startswith("en") else "zh" if locale.startswith("zh") else None
    return Actor(
        role=role,
        id=str(sub),
        unit_id=claims.get("custom:unit_id") or None,
        language=language,
        phone=verified_phone(claims),
    )


def verified_phone(claims: dict[str, Any]) -> str | None:
    """The account's mobile number, if Cognito verified it (`phone_number_verified`): the only number a
    citizen's notices go to."""
    phone = str(claims.get("phone_number") or "").strip()
    if not phone or str(claims.get("phone_number_verified", "")).lower() != "true":
        return None
    return phone
