"""The admin routes of a stack over HTTP (the standard library's urllib), for `minyi catalog` and `minyi rules`.

`AdminApi` takes a `Send` (method, path, body, headers) -> (status, body): urllib against a URL here,
the local runtime's in-process endpoint when it seeds itself, a recording stub in tests. An answer
outside 2xx becomes a `CliError` naming the API's error and each field's problem.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from minyi.cli import CliError

CATALOG_PATH = "/v1/admin/catalog"
STAFF_PATH = "/v1/admin/staff"
#: (method, path, body, headers) -> (status, body)
Send = Callable[[str, str, bytes | None, dict[str, str]], tuple[int, bytes]]


def _urllib_send(base_url: str, timeout: float = 60.0) -> Send:
    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(base_url.rstrip("/") + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return int(resp.status), resp.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()
        except urllib.error.URLError as exc:
            raise CliError(f"cannot reach {base_url}: {exc.reason}") from exc

    return send


class AdminApi:
    """The admin routes of a stack, with a bearer token (an admin's)."""

    def __init__(self, base_url: str, token: str, send: Send | None = None):
        self.token = token
        self.send = send or _urllib_send(base_url)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        status, raw = self.send(method, path, data, headers)
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = {"message": raw[:200].decode(errors="replace")}
        return status, payload

    def current(self) -> dict[str, Any] | None:
        status, payload = self.call("GET", CATALOG_PATH)
        if status == 404:
            return None
        _raise_for(status, payload)
        return payload  # type: ignore[no-any-return]

    def staff(self) -> list[dict[str, Any]]:
        """Every staff account (`GET /v1/admin/staff`)."""
        status, payload = self.call("GET", STAFF_PATH)
        _raise_for(status, payload)
        return list(payload.get("items", [])) if isinstance(payload, dict) else []

    def put(self, document: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        status, payload = self.call("PUT", CATALOG_PATH + ("?dry_run=true" if dry_run else ""), document)
        _raise_for(status, payload)
        return payload  # type: ignore[no-any-return]


def _raise_for(status: int, payload: Any) -> None:
    if 200 <= status < 300:
        return
    if not isinstance(payload, dict):
        raise CliError(f"HTTP {status}")
    problems = payload.get("problems") or []
    lines = [f"HTTP {status} {payload.get('error', '')}: {payload.get('message', '')}".rstrip(": ")]
    lines += [f"  {p.get('field')}: {p.get('problem')}" for p in problems if isinstance(p, dict)]
    raise CliError("\n".join(lines))
