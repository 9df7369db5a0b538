"""A local API Gateway: REST proxy events to the in-process handlers, Cognito-shaped JWT claims.

It answers as API Gateway answers where the difference would show: path parameters (and the event's
`path`) arrive URL-decoded, any method without a route (OPTIONS, QUERY, PROPFIND, a lowercase `get`)
gets the API's 404 no_route, never the HTTP server's 501 page, `requestContext.identity.sourceIp` is the
connection's peer address (what counts guesses per client), with that address appended to
X-Forwarded-For, and its listen backlog holds a burst of connections instead of resetting them.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt

from infra.local import static
from infra.local.lambdas import LocalLambdas
from infra.local.template import Route

ROLES = {"citizen", "staff", "dispatcher", "supervisor", "admin"}
ISSUER = "minyi-local"
#: Connections the kernel queues before the gateway accepts them (http.server's default of 5 resets
#: a burst; the kernel caps this at net.core.somaxconn).
LISTEN_BACKLOG = 1024


def pool_issuer(pool_id: str) -> str:
    """Cognito's `iss` for a user pool (its id starts with its region)."""
    return f"https://cognito-idp.{pool_id.split('_', 1)[0]}.amazonaws.com/{pool_id}"


class TokenIssuer:
    """Signs and verifies local bearer tokens (HS256, a key made at start-up) with Cognito's claim names.

    Once the local pools exist (`use_pools`), a citizen's token is signed as the citizen pool's (`iss`) and
    every other role's as the staff pool's, as Cognito signs them: the API takes a token of the citizen
    pool as a citizen's whatever its groups."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._issuers: dict[str, str] = {}

    def use_pools(self, citizen_pool_id: str, staff_pool_id: str) -> None:
        self._issuers = {"citizen": pool_issuer(citizen_pool_id), "staff": pool_issuer(staff_pool_id)}

    def _issuer(self, role: str) -> str:
        if not self._issuers:
            return ISSUER
        return self._issuers["citizen" if role == "citizen" else "staff"]

    def issue(self, sub: str, role: str, unit: str | None, phone: str | None, ttl: int = 12 * 3600) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": sub,
            "cognito:groups": role,
            "iss": self._issuer(role),
            "token_use": "id",
            "iat": now,
            "exp": now + ttl,
        }
        if unit:
            claims["custom:unit_id"] = unit
        if phone:
            # Cognito's ID token: the number and that the account verified it by SMS
            claims["phone_number"] = phone
            claims["phone_number_verified"] = "true"
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str) -> dict[str, Any]:
        issuers = sorted(set(self._issuers.values())) or [ISSUER]
        claims = jwt.decode(token, self._key, algorithms=["HS256"], issuer=issuers, options={"require": ["exp", "sub"]})
        # API Gateway hands Cognito claims to the function as strings
        return {k: str(v) for k, v in claims.items()}


def _error(status: int, error: str, message: str, field: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """The gateway's own refusal, shaped as the template's GatewayResponses shape it in AWS."""
    problems = [{"field": field, "problem": message}] if field else []
    body = {"error": error, "message": message, "problems": problems, "request_id": str(uuid.uuid4())}
    return status, {"Content-Type": "application/json", "Cache-Control": "no-store"}, json.dumps(body).encode()


class LocalGateway:
    def __init__(self, lambdas: LocalLambdas, tokens: TokenIssuer, extra_routes: dict[tuple[str, str], Callable]):
        self.lambdas = lambdas
        self.tokens = tokens
        self.routes: list[Route] = [r for spec in lambdas.specs.values() for r in spec.routes]
        # the most literal path wins (like API Gateway): fewer parameters first
        self.routes.sort(key=lambda r: r.path.count("{"))
        self.extra_routes = extra_routes
        self._server: ThreadingHTTPServer | None = None

    # --- request handling ----------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        extra = self.extra_routes.get((method, path))
        if extra is not None:
            return extra(headers, body, parse_qs(split.query))  # type: ignore[no-any-return]
        web = static.serve(method, path)  # the citizen app and the staff console (web/)
        if web is not None:
            return web
        matched = [(r, params) for r in self.routes if (params := r.match(method, path)) is not None]
        if not matched:
            # API Gateway (REST) cannot tell a wrong method from an unknown path: both are its
            # MISSING_AUTHENTICATION_TOKEN response, which the template's GatewayResponses make 404
            # no_route. The local gateway answers the same.
            return _error(404, "no_route", f"no route {method} {path}")
        route, raw_params = matched[0]
        # API Gateway hands the function the decoded path and parameters (`%35` is `5`); a parameter is
        # matched before decoding, so an encoded `/` stays inside it
        path_params = {name: unquote(value) for name, value in raw_params.items()}
        path = unquote(path)
        claims: dict[str, str] | None = None
        if not route.public:
            auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
            if not auth.startswith("Bearer "):
                return _error(401, "unauthorized", "missing bearer token", "Authorization")
            try:
                claims = self.tokens.verify(auth.removeprefix("Bearer ").strip())
            except jwt.PyJWTError as exc:
                return _error(401, "unauthorized", f"invalid token: {exc}", "Authorization")
        event = self._proxy_event(route, method, path, split.query, headers, body, path_params, claims, source_ip)
        result = self.lambdas.invoke(route.function, event)
        out_headers = dict(result.get("headers") or {})
        for k, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[k] = ", ".join(values)
        payload = result.get("body") or ""
        if result.get("isBase64Encoded"):
            import base64

            data = base64.b64decode(payload)
        else:
            data = payload.encode()
        return int(result.get("statusCode", 200)), out_headers, data

    @staticmethod
    def _proxy_event(
        route: Route,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        path_params: dict[str, str],
        claims: dict[str, str] | None,
        source_ip: str,
    ) -> dict[str, Any]:
        multi_query = parse_qs(query, keep_blank_values=True)
        # API Gateway appends the caller's address to X-Forwarded-For (what a client sent stays in front)
        forwarded = next((k for k in headers if k.lower() == "x-forwarded-for"), "X-Forwarded-For")
        headers = {**headers, forwarded: ", ".join(filter(None, [headers.get(forwarded, ""), source_ip]))}
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_params or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": route.path,
                "httpMethod": method,
                "path": f"/local{path}",
                "stage": "local",
                "requestId": str(uuid.uuid4()),
                "requestTimeEpoch": int(time.time() * 1000),
                "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
                "authorizer": {"claims": claims} if claims is not None else None,
            },
            "body": body.decode("utf-8", errors="replace") if body else None,
            "isBase64Encoded": False,
        }

    # --- server --------------------------------------------------------------------------------

    def serve(self, host: str, port: int, listener: socket.socket | None = None) -> int:
        """Answer on `host:port`, or on `listener`, a socket already bound and listening (the runtime
        binds port 0 before it builds the functions' settings, which name its address)."""
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # TCP_NODELAY: the head and the body are two writes; with Nagle's algorithm the body waits
            # for the client's delayed ACK of the head (40 ms per answer on a kept-alive connection).
            disable_nagle_algorithm = True

            def _dispatch(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()}
                try:
                    status, out_headers, data = gateway.handle(
                        self.command, self.path, headers, body, self.client_address[0]
                    )
                except Exception:  # an unhandled error is a 502 at API Gateway, answered by DEFAULT_5XX
                    import traceback

                    traceback.print_exc()  # on the runtime's console, never in the answer
                    status, out_headers, data = _error(
                        502, "internal_error", "something went wrong on our side; quote the request id"
                    )
                self.send_response(status)
                for k, v in out_headers.items():
                    if k.lower() not in {"content-length", "connection"}:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":  # HEAD has no route of its own (404 no_route), and no body
                    self.wfile.write(data)

            # every method reaches the routes, as at API Gateway: one without a route there (OPTIONS,
            # HEAD, TRACE here) answers in the API's error shape (404 no_route), not the HTTP server's
            # 501 page
            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_TRACE = _dispatch

            def __getattr__(self, name: str) -> Any:
                # any other method (QUERY, PROPFIND, `get` ...): http.server looks for `do_<METHOD>` and
                # answers 501 without one; here it reaches the routes, which have none (404 no_route)
                if name.startswith("do_"):
                    return self._dispatch
                raise AttributeError(name)

            def log_message(self, format: str, *args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = LISTEN_BACKLOG

        if listener is None:
            self._server = Server((host, port), Handler)
        else:
            self._server = Server((host, port), Handler, bind_and_activate=False)
            self._server.socket.close()
            listener.listen(LISTEN_BACKLOG)  # bound and listening already: this raises its backlog
            self._server.socket = listener
            self._server.server_address = listener.getsockname()[:2]
            self._server.server_name, self._server.server_port = host, int(self._server.server_address[1])
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True).start()
        return int(self._server.server_address[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def swagger_page(spec: dict[str, Any]) -> str:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import html

    assets = Path(html.__file__).parent
    return html.generate_swagger_html(
        spec=json.dumps(spec),
        swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        swagger_css=(assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
        persist_authorization=True,
    )
