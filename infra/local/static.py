"""The web clients in local mode: `web/` files and a generated `config.json`, with the CSP CloudFront sends.

`/`, `/track`, `/scores` and `/r[/<tracking no>]` are the citizen app (`web/index.html`), `/console` the staff console
(`web/console.html`); every other path that names a file in `web/` is that file. The headers mirror the
response headers policy in template.yaml, so the pages are tested under the same Content-Security-Policy
they get in AWS (with the local S3 endpoint in place of the regional S3 hosts).
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"

#: pages of the single-page clients (CloudFront maps them with a viewer-request function the same way)
_PAGES = [
    (re.compile(r"^/(track|scores|r|r/[A-Za-z0-9-]{1,40})?$"), "index.html"),
    (re.compile(r"^/console(/.*)?$"), "console.html"),
]
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}


def csp(s3_origin: str) -> str:
    """The policy of template.yaml's WebHeadersPolicy, with this runtime's S3 endpoint."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob: {s3_origin}",
            f"media-src 'self' blob: {s3_origin}",
            f"connect-src 'self' {s3_origin}",
            "font-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers() -> dict[str, str]:
    s3 = os.environ.get("AWS_ENDPOINT_URL_S3", "").rstrip("/") or "http://127.0.0.1:*"
    return {
        "Content-Security-Policy": csp(s3),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "geolocation=(self), microphone=(self), camera=(self)",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def local_config() -> dict[str, object]:
    """What `config.json` says in AWS (written from the stack outputs), for the local runtime."""
    return {"mode": "local", "apiBase": "", "region": os.environ.get("AWS_REGION", "ap-east-1"), "cognito": None}


def serve(method: str, path: str) -> tuple[int, dict[str, str], bytes] | None:
    """The answer for a web path, or None when the path is not the web app's (an API route)."""
    if method != "GET":
        return None
    name = next((page for pattern, page in _PAGES if pattern.match(path)), None)
    headers = security_headers()
    if path == "/config.json":
        headers.update({"Content-Type": _TYPES[".json"], "Cache-Control": "no-store"})
        return 200, headers, json.dumps(local_config()).encode()
    if name is None:
        rel = path.lstrip("/")
        if not rel or rel.startswith(".") or ".." in rel.split("/") or not re.fullmatch(r"[A-Za-z0-9._/-]+", rel):
            return None
        candidate = WEB / rel
        try:
            if not candidate.is_file():
                return None
        except OSError:  # a name longer than the file system allows: not a web file
            return None
        name = rel
    file = WEB / name
    suffix = file.suffix
    ctype = _TYPES.get(suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    headers.update({"Content-Type": ctype, "Cache-Control": "no-cache"})
    if name == "sw.js":
        headers["Service-Worker-Allowed"] = "/"
    return 200, headers, file.read_bytes()
