"""How the local runtime serves the web clients (no browser needed): page routes, files, config.json,
the headers, and the same Content-Security-Policy as the CloudFront response headers policy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.local import static

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/", "/track", "/scores", "/r/SZ2611-ABC123"])
def test_citizen_pages_are_the_citizen_app(path: str) -> None:
    status, headers, body = static.serve("GET", path) or (0, {}, b"")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'src="/js/app.js"' in body


@pytest.mark.parametrize("path", ["/console", "/console/anything"])
def test_console_pages_are_the_console(path: str) -> None:
    status, _, body = static.serve("GET", path) or (0, {}, b"")
    assert status == 200 and b'src="/js/console.js"' in body


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/v1/requests"),
        ("GET", "/local/health"),
        ("POST", "/"),
        ("GET", "/../template.yaml"),
        ("GET", "/js/../../template.yaml"),
        ("GET", "/.hidden"),
        ("GET", "/nothing.js"),
        ("GET", "/r/a/b"),
    ],
)
def test_everything_else_is_not_the_web_apps(method: str, path: str) -> None:
    assert static.serve(method, path) is None


def test_files_carry_their_type_and_the_security_headers() -> None:
    for path, ctype in [
        ("/js/app.js", "text/javascript"),
        ("/css/app.css", "text/css"),
        ("/manifest.webmanifest", "application/manifest+json"),
        ("/icons/icon-192.png", "image/png"),
    ]:
        status, headers, _ = static.serve("GET", path) or (0, {}, b"")
        assert status == 200 and headers["Content-Type"].startswith(ctype), path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    _, headers, _ = static.serve("GET", "/sw.js") or (0, {}, b"")
    assert headers["Service-Worker-Allowed"] == "/"


def test_config_json_is_local_mode() -> None:
    status, headers, body = static.serve("GET", "/config.json") or (0, {}, b"")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert json.loads(body) == {
        "mode": "local",
        "apiBase": "",
        "region": static.local_config()["region"],
        "cognito": None,
    }


def _directives(policy: str) -> dict[str, set[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = {w for w in words[1:] if not w.startswith(("http://", "https://", "${"))}
    return out


def test_the_local_csp_is_the_one_cloudfront_sends() -> None:
    template = (ROOT / "template.yaml").read_text(encoding="utf-8")
    block = re.search(r"ContentSecurityPolicy: !Sub >-\n((?:\s{14}.*\n)+)", template)
    assert block, "WebHeadersPolicy's ContentSecurityPolicy not found in template.yaml"
    deployed = _directives(" ".join(line.strip() for line in block.group(1).splitlines()))
    local = _directives(static.csp("http://127.0.0.1:4566"))
    assert deployed == local


def test_no_inline_script_or_style_in_the_pages() -> None:
    for page in (ROOT / "web").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<style" not in html and " style=" not in html, page
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page
        assert " on" not in re.sub(r"<!--.*?-->", "", html).split("<body", 1)[1].split(">", 1)[0], page


@pytest.mark.parametrize("page", ["/track", "/scores"])
def test_cloudfront_serves_the_citizen_app_on_the_same_pages_as_the_local_runtime(page: str) -> None:
    # Given the CloudFront function that maps the single-page routes to their HTML file
    template = (ROOT / "template.yaml").read_text(encoding="utf-8")
    code = re.search(r"FunctionCode: \|\n((?: {8}.*\n)+)", template)
    assert code, "the web pages' CloudFront function not found in template.yaml"
    # Then a page the local runtime serves as the citizen app is rewritten to it in AWS too
    assert static.serve("GET", page) is not None
    assert f"uri === '{page}'" in code.group(1) and "request.uri = '/index.html'" in code.group(1)


def test_the_texts_and_every_console_module_are_served_and_cached_for_offline() -> None:
    # Given the compiled texts and the console's view modules (issue 19)
    files = sorted(p.relative_to(ROOT / "web").as_posix() for p in (ROOT / "web").glob("js/**/*.js"))
    files += ["i18n/zh.json", "i18n/en.json"]
    assert "js/console/shared.js" in files
    # Then the local runtime serves each with its type, and the service worker caches each at install
    shell = (ROOT / "web" / "sw.js").read_text(encoding="utf-8")
    for name in files:
        status, headers, _ = static.serve("GET", f"/{name}") or (0, {}, b"")
        ctype = "application/json" if name.endswith(".json") else "text/javascript"
        assert status == 200 and headers["Content-Type"].startswith(ctype), name
        assert f"'/{name}'" in shell, f"{name} is not in sw.js's SHELL"


def test_the_console_names_the_dispatch_queue_in_one_place() -> None:
    # Given the console's scripts / Then the dispatch queue's unit id is written once, as a constant
    scripts = [*(ROOT / "web" / "js").glob("console.js"), *(ROOT / "web" / "js" / "console").glob("*.js")]
    written = {p.name: p.read_text(encoding="utf-8").count("'dispatch-centre'") for p in scripts}
    assert sum(written.values()) == 1 and written["shared.js"] == 1, written
