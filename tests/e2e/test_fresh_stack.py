"""A fresh stack, over HTTP: the local runtime starts empty (`MINYI_SEED=none`), as a deployed stack does.

Nothing can be filed until the catalogue is loaded; the `minyi` CLI loads data/catalog/shenzhen.yaml
through the admin API; an admin creates a staff account for the Futian traffic police; a citizen
signed in with a verified mobile files a traffic complaint in Futian, which is routed to that unit;
the staff account accepts and replies; the citizen's notices went to the verified number only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, VALID_REQUEST, Api, _start

CATALOG_FILE = ROOT / "data" / "catalog" / "shenzhen.yaml"
UNIT = "futian-traffic-police"
REQUEST = {k: v for k, v in VALID_REQUEST.items() if k != "phone"}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from _start({"MINYI_SEED": "none"}, "fresh-stack", tmp_path_factory)


def minyi(*args: str) -> subprocess.CompletedProcess[str]:
    """The console script `make` installs into .venv/bin (the module itself when run elsewhere)."""
    script = Path(sys.executable).parent / "minyi"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "minyi.cli"]
    env = {k: v for k, v in os.environ.items() if k not in {"MINYI_API", "MINYI_TOKEN"}}
    return subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def mobile() -> str:
    """A fresh mainland mobile number (E.164) for each run."""
    return f"+86139{uuid.uuid4().int % 10**8:08d}"


def test_a_fresh_stack_serves_citizens_once_its_catalogue_and_staff_are_loaded(fresh: Api) -> None:
    admin = fresh.token("admin")
    citizen_phone = mobile()
    citizen = fresh.token("citizen", phone=citizen_phone)

    # Given a stack with no catalogue: a submission is refused with a clear 503, not "unknown topic"
    assert fresh.call("GET", "/v1/catalog").json()["topics"] == {}
    refused = fresh.call("POST", "/v1/requests", citizen, json=REQUEST)
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"] == "catalog_empty"
    assert fresh.call("GET", "/v1/admin/catalog", admin).status_code == 404
    # and so is an Open311 report (in GeoReport's own error list)
    key = fresh.call("POST", "/v1/admin/open311-keys", admin, json={"name": "fresh"}).json()["api_key"]
    report = fresh.call(
        "POST",
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "traffic", "attribute[category]": "complaint",
              "attribute[district]": "futian", "description": "违停"},
    )  # fmt: skip
    assert report.status_code == 503, report.text
    assert report.json()[0]["code"] == 503 and "catalog_empty" in report.json()[0]["description"]

    # When an admin loads the Shenzhen catalogue with the CLI: first a dry run shows the difference
    dry = minyi("catalog", "import", str(CATALOG_FILE), "--api", fresh.base_url, "--token", admin, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "units: +90 -0 ~0" in dry.stdout and "rules: +90 -0 ~0" in dry.stdout
    assert "dry run" in dry.stdout
    assert fresh.call("POST", "/v1/requests", citizen, json=REQUEST).status_code == 503
    # then the import itself, with its progress bar
    loaded = minyi("catalog", "import", str(CATALOG_FILE), "--api", fresh.base_url, "--token", admin)
    assert loaded.returncode == 0, loaded.stderr
    assert "version 1 is in force" in loaded.stdout
    assert "[########################] 4/4" in loaded.stderr
    # and the stack answers it back as version 1, the same document
    current = fresh.call("GET", "/v1/admin/catalog", admin).json()
    assert current["version"] == 1
    assert len(current["document"]["units"]) == 90
    exported = minyi("catalog", "export", "--api", fresh.base_url, "--token", admin)
    assert exported.returncode == 0 and "futian-traffic-police" in exported.stdout
    again = minyi("catalog", "import", str(CATALOG_FILE), "--api", fresh.base_url, "--token", admin)
    assert again.returncode == 0 and "no changes: version 1 stays in force" in again.stdout

    # And an admin creates a staff account for the Futian traffic police
    staff_phone = mobile()
    created = fresh.call(
        "POST",
        "/v1/admin/staff",
        admin,
        json={"phone": staff_phone, "name": "王警官", "role": "staff", "unit_id": UNIT},
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["role"] == "staff" and account["unit_id"] == UNIT and account["phone"] == staff_phone
    listed = fresh.call("GET", "/v1/admin/staff", admin).json()["items"]
    assert account["username"] in {a["username"] for a in listed}
    # the same phone cannot get a second account
    twice = fresh.call("POST", "/v1/admin/staff", admin, json={"phone": staff_phone, "name": "x", "role": "staff",
                                                                "unit_id": UNIT})  # fmt: skip
    assert twice.status_code == 409
    # and the local token endpoint signs the account in by its phone: its role and unit from the pool
    minted = fresh.http.post(f"{fresh.base_url}/local/tokens", json={"phone": staff_phone}, timeout=10)
    assert minted.status_code == 200, minted.text
    assert minted.json()["sub"] == account["username"] and minted.json()["role"] == "staff"
    staff = minted.json()["token"]

    # When the citizen files a traffic complaint in Futian (no phone in the body: the account's is used)
    filed = fresh.call("POST", "/v1/requests", citizen, json=REQUEST)
    assert filed.status_code == 201, filed.text
    case_id = filed.json()["id"]

    # Then it is routed to the unit of the staff account
    def dispatched() -> dict[str, Any] | None:
        view = fresh.call("GET", f"/v1/requests/{case_id}", citizen).json()
        return view if view["status"] == "DISPATCHED" else None

    view = fresh.wait_for(dispatched)
    assert view["unit_id"] == UNIT
    inbox = fresh.call("GET", f"/v1/units/{UNIT}/cases", staff)
    assert inbox.status_code == 200 and case_id in {c["id"] for c in inbox.json()["items"]}
    # with the catalogue version it was routed with
    assert fresh.call("GET", f"/v1/cases/{case_id}", staff).json()["catalog_version"] == 1

    # And the staff account accepts and replies
    accepted = fresh.call("POST", f"/v1/cases/{case_id}/accept", staff)
    assert accepted.status_code == 200, accepted.text
    replied = fresh.call("POST", f"/v1/cases/{case_id}/reply", staff, json={"message": "已安排交警清理违停车辆。"})
    assert replied.status_code == 200, replied.text
    assert fresh.wait_for(lambda: fresh.call("GET", f"/v1/requests/{case_id}", citizen).json()["status"] == "REPLIED")

    # And the citizen's notices went to the verified number, and to no other
    def citizen_sms() -> list[dict[str, Any]] | None:
        messages = fresh.call("GET", "/local/sms", params={"phone": citizen_phone}).json()["messages"]
        mine = [m for m in messages if m["case_id"] == case_id and m["kind"] == "citizen"]
        return mine if {m["event"] for m in mine} >= {"dispatched", "replied"} else None

    messages = fresh.wait_for(citizen_sms)
    assert {m["to"] for m in messages} == {citizen_phone}
    everything = fresh.call("GET", "/local/sms").json()["messages"]
    assert {m["to"] for m in everything if m["case_id"] == case_id and m["kind"] == "citizen"} == {citizen_phone}

    # Finally the admin disables the account: it can no longer sign in
    disabled = fresh.call("POST", f"/v1/admin/staff/{account['username']}/disable", admin)
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    refused_token = fresh.http.post(f"{fresh.base_url}/local/tokens", json={"phone": staff_phone}, timeout=10)
    assert refused_token.status_code == 422


def test_a_citizen_notice_number_is_the_accounts_own(fresh: Api) -> None:
    """The body's phone may repeat the verified number, nothing else; only mainland mobiles by default."""
    admin = fresh.token("admin")
    minyi("catalog", "import", str(CATALOG_FILE), "--api", fresh.base_url, "--token", admin)
    phone = mobile()
    citizen = fresh.token("citizen", phone=phone)

    other = fresh.call("POST", "/v1/requests", citizen, json={**REQUEST, "phone": "13812345678"})
    assert other.status_code == 422
    assert [p["field"] for p in other.json()["problems"]] == ["phone"]
    same = fresh.call("POST", "/v1/requests", citizen, json={**REQUEST, "phone": phone.removeprefix("+86")})
    assert same.status_code == 201, same.text

    abroad = fresh.token("citizen", phone="+14155552671")
    refused = fresh.call("POST", "/v1/requests", abroad, json=REQUEST)
    assert refused.status_code == 422 and refused.json()["problems"][0]["field"] == "phone"
