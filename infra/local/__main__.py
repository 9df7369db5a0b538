"""`make run`: the whole of Minyi on an embedded AWS, at http://127.0.0.1:$PORT."""

from __future__ import annotations

import os
import signal
import threading

from infra.local.heap import freeze_long_lived_objects
from infra.local.runtime import LocalRuntime


def banner(rt: LocalRuntime) -> str:
    url = rt.base_url
    return f"""
  Minyi 民意速办 — local runtime (embedded AWS on moto, no account needed)

  Citizen app  {url}/            (any mobile number signs in locally; /track, /scores)
  Console      {url}/console     (pick a role: unit staff, dispatcher, supervisor, admin, hotline operator)
  API          {url}
  Swagger UI   {url}/swagger
  OpenAPI      {url}/openapi.json
  Catalogue    {url}/v1/catalog   ({rt.seeded})

  Try it (a citizen, signed in with a verified mobile, submits a request, then follows it):
    TOKEN=$(curl -s -X POST {url}/local/tokens -d '{{"sub":"citizen-1","role":"citizen","phone":"13812345678"}}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')
    curl -s -X POST {url}/v1/requests -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"category":"complaint","topic":"traffic","district":"futian","description":"Illegal parking blocks the bus lane on Shennan Road"}}'
    curl -s {url}/v1/requests -H "Authorization: Bearer $TOKEN"

  Ctrl-C stops it.
"""


def main() -> None:
    rt = LocalRuntime(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "3000"))).start()
    freeze_long_lived_objects()  # the embedded AWS only grows: full collections must not rescan it (heap.py)
    print(banner(rt), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    rt.stop()


if __name__ == "__main__":
    main()
