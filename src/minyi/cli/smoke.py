"""`minyi smoke`: a deployed stack through its web address, as a citizen's phone uses it.

    minyi smoke --api https://WEB-ADDRESS --token CITIZEN_ID_TOKEN [--rating-base URL]

It runs after the deployment through the web address (CloudFront: the web app and `/v1/*`): the
catalogue, a submission read back, a small upload through the presigned POST attached to it, the
rating page on the web domain, and API Gateway's own refusals in the API's error shape. It withdraws
the request it filed, prints one line per step and stops at the first failure (exit 1). It needs
nothing but the standard library.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from minyi.cli.checks import Check, Result, Verdict

#: (method, url, body, headers) -> (status, headers, body)
Http = Callable[[str, str, bytes | None, Mapping[str, str]], tuple[int, Mapping[str, str], bytes]]

#: The smallest upload the API accepts: a JPEG's three magic bytes (`minyi.domain.media.matches`).
SMOKE_UPLOAD = b"\xff\xd8\xff"
SMOKE_UPLOAD_TYPE = "image/jpeg"
SMOKE_DESCRIPTION = "minyi smoke: a check after deployment, withdrawn at once; no action needed"


def urllib_http(timeout: float = 30.0) -> Http:
    def call(
        method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return int(resp.status), dict(resp.headers.items()), resp.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), dict(exc.headers.items()), exc.read()

    return call


class SmokeFailed(Exception):
    def __init__(self, check: Check, why: str):
        super().__init__(why)
        self.result = Result(check, Verdict.FAIL, why)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _multipart(fields: Mapping[str, str], data: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = "minyi-smoke-" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="smoke.jpg"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Smoke:
    """The steps, each returning its line or raising SmokeFailed; `run()` stops at the first failure."""

    def __init__(self, web: str, token: str, http: Http, rating_base: str | None = None):
        self.web = web.rstrip("/")
        self.token = token
        self.http = http
        self.rating_base = rating_base.rstrip("/") if rating_base else None
        self.case: dict[str, Any] | None = None
        self.catalog: dict[str, Any] = {}
        self.upload_id = ""

    def call(self, method: str, path: str, body: Any = None, token: bool = True) -> tuple[int, Mapping[str, str], Any]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, response_headers, raw = self.http(method, self.web + path, data, headers)
        return status, response_headers, _json(raw)

    def catalogue(self) -> Result:
        status, _, body = self.call("GET", "/v1/catalog", token=False)
        if status != 200 or not isinstance(body, dict):
            raise SmokeFailed(Check.CATALOGUE, f"GET /v1/catalog answered {status}")
        sizes = {k: len(body.get(k) or ()) for k in ("categories", "topics", "districts")}
        if not all(sizes.values()):
            raise SmokeFailed(Check.CATALOGUE, f"empty: {sizes}; load one with `minyi catalog import`")
        self.catalog = body
        return Result(Check.CATALOGUE, Verdict.PASS, ", ".join(f"{n} {k}" for k, n in sizes.items()))

    def upload(self) -> Result:
        status, _, ticket = self.call(
            "POST", "/v1/uploads", {"content_type": SMOKE_UPLOAD_TYPE, "size": len(SMOKE_UPLOAD)}
        )
        if status != 201 or not isinstance(ticket, dict) or "url" not in ticket:
            raise SmokeFailed(Check.UPLOAD, f"POST /v1/uploads answered {status}: {ticket}")
        body, content_type = _multipart(ticket.get("fields") or {}, SMOKE_UPLOAD, SMOKE_UPLOAD_TYPE)
        stored, _, raw = self.http("POST", ticket["url"], body, {"Content-Type": content_type})
        host = urllib.parse.urlsplit(ticket["url"]).netloc
        if not 200 <= stored < 300:
            raise SmokeFailed(Check.UPLOAD, f"the presigned POST to {host} answered {stored}: {raw[:200]!r}")
        self.upload_id = str(ticket["upload_id"])
        return Result(Check.UPLOAD, Verdict.PASS, f"{len(SMOKE_UPLOAD)} bytes stored through {host} ({stored})")

    def submission(self) -> Result:
        categories = list(self.catalog["categories"])
        request = {
            # a consultation: the lightest case a unit can get, and withdrawn at once
            "category": "consultation" if "consultation" in categories else categories[0],
            "topic": next(iter(self.catalog["topics"])),
            "district": next(iter(self.catalog["districts"])),
            "description": SMOKE_DESCRIPTION,
            "attachments": [self.upload_id],
        }
        status, _, case = self.call("POST", "/v1/requests", request)
        if status != 201 or not isinstance(case, dict):
            raise SmokeFailed(Check.SUBMISSION, f"POST /v1/requests answered {status}: {case}")
        self.case = case
        status, _, view = self.call("GET", f"/v1/requests/{case['id']}")
        if status != 200 or not isinstance(view, dict) or view.get("tracking_no") != case.get("tracking_no"):
            raise SmokeFailed(Check.SUBMISSION, f"GET /v1/requests/{case['id']} answered {status}: {view}")
        attachments = view.get("attachments") or []
        if len(attachments) != 1 or attachments[0].get("size") != len(SMOKE_UPLOAD):
            raise SmokeFailed(Check.UPLOAD, f"the request does not show the upload attached: {attachments}")
        return Result(Check.SUBMISSION, Verdict.PASS, f"{case['tracking_no']} filed and read back with its attachment")

    def rating_address(self) -> Result:
        tracking_no = (self.case or {}).get("tracking_no", "SMOKE")
        base = self.rating_base or self.web
        status, headers, _ = self.http("GET", f"{base}/r/{tracking_no}", None, {"Accept": "text/html"})
        kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        if status != 200 or "text/html" not in kind:
            raise SmokeFailed(Check.RATING_ADDRESS, f"{base}/r/{tracking_no} answered {status} {kind}")
        if self.rating_base is None:
            return Result(
                Check.RATING_ADDRESS,
                Verdict.WARN,
                f"{self.web}/r/... serves the rating page; the SMS link's base (RatingLinkBase) is not visible "
                "from outside: give --rating-base to check it",
            )
        same = urllib.parse.urlsplit(base).netloc == urllib.parse.urlsplit(self.web).netloc
        if not same:
            raise SmokeFailed(Check.RATING_ADDRESS, f"RatingLinkBase {base} is not the web address {self.web}")
        return Result(Check.RATING_ADDRESS, Verdict.PASS, f"{base}/r/... serves the rating page")

    def refusals(self) -> list[Result]:
        status, _, body = self.call("GET", "/v1/requests", token=False)
        if status != 401 or not _our_error(body, "unauthorized"):
            raise SmokeFailed(Check.UNAUTHORIZED, f"GET /v1/requests without a token answered {status}: {body}")
        first = Result(Check.UNAUTHORIZED, Verdict.PASS, "401 unauthorized in the API's shape, with a request id")
        path = f"/v1/no-such-route-{uuid.uuid4().hex[:8]}"
        status, _, body = self.call("GET", path, token=False)
        if status != 404 or not _our_error(body, "no_route"):
            raise SmokeFailed(Check.NO_ROUTE, f"GET {path} answered {status}: {body}")
        return [first, Result(Check.NO_ROUTE, Verdict.PASS, "404 no_route in the API's shape, with a request id")]

    def cleanup(self) -> Result | None:
        if self.case is None:
            return None
        status, _, _ = self.call("POST", f"/v1/requests/{self.case['id']}/withdraw", {"reason": "minyi smoke"})
        if status != 200:
            return Result(Check.CLEANUP, Verdict.WARN, f"could not withdraw {self.case['tracking_no']}: {status}")
        return Result(Check.CLEANUP, Verdict.PASS, f"{self.case['tracking_no']} withdrawn")

    def run(self) -> Iterable[Result]:
        steps: list[Callable[[], Result | list[Result]]] = [
            self.catalogue,
            self.upload,
            self.submission,
            self.rating_address,
            self.refusals,
        ]
        try:
            for step in steps:
                done = step()
                yield from done if isinstance(done, list) else [done]
        except SmokeFailed as failed:
            yield failed.result
        finally:
            if (cleaned := self.cleanup()) is not None:
                yield cleaned


def _our_error(body: Any, error: str) -> bool:
    return isinstance(body, dict) and body.get("error") == error and bool(body.get("request_id"))
