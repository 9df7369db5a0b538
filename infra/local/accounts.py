"""Accounts and the catalogue in the local runtime.

- The user pools of template.yaml (citizens', staff) with their groups, in the embedded moto, so the
  staff-accounts API runs the same Cognito adapter locally as in AWS; the functions get the pools'
  ids (moto chooses them) instead of the template's names.
- `/local/tokens` requests: a role's token as before (every citizen's with a verified phone: the one
  asked for, or a stable mainland number derived from `sub`), or the token of an account an admin
  created, looked up by `username` or `phone` (its role, unit and phone from the pool).
- The seed: `MINYI_SEED` (default `shenzhen`: data/catalog/shenzhen.yaml; `none`: start empty, as a
  fresh stack does; or a path to a catalogue file), loaded through the admin API with the same code
  as `minyi catalog import`.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.local.template import ROOT, Template

SEED_FILES = {"shenzhen": ROOT / "data" / "catalog" / "shenzhen.yaml"}
#: Roles a local token may carry.
TOKEN_ROLES = frozenset({"citizen", "operator", "staff", "dispatcher", "supervisor", "admin"})


def create_user_pools(template: Template) -> dict[str, str]:
    """Every AWS::Cognito::UserPool with its groups; logical id -> the pool id moto chose."""
    import boto3

    idp = boto3.client("cognito-idp")
    pools: dict[str, str] = {}
    for logical_id, res in template.of_type("AWS::Cognito::UserPool").items():
        props = res.get("Properties", {})
        spec: dict[str, Any] = {"PoolName": template.physical_name(logical_id)}
        for key in ("UsernameAttributes", "AutoVerifiedAttributes", "MfaConfiguration"):
            if key in props:
                spec[key] = props[key]
        spec["Schema"] = [
            {"Name": s["Name"], "AttributeDataType": s["AttributeDataType"], "Mutable": bool(s.get("Mutable", True))}
            for s in props.get("Schema", [])
        ]
        pools[logical_id] = idp.create_user_pool(**spec)["UserPool"]["Id"]
    for res in template.of_type("AWS::Cognito::UserPoolGroup").values():
        props = res["Properties"]
        pool = pools[props["UserPoolId"]["Ref"]]
        idp.create_group(UserPoolId=pool, GroupName=props["GroupName"], Precedence=int(props.get("Precedence", 0)))
    return pools


def pool_environment(template: Template, pools: dict[str, str]) -> dict[str, str]:
    """Variables that name a pool (`!Ref StaffUserPool`), with the local pool's id."""
    env: dict[str, str] = {}
    for spec in template.functions().values():
        for name, value in spec.environment.items():
            if isinstance(value, dict) and value.get("Ref") in pools:
                env[name] = pools[value["Ref"]]
    return env


def derived_phone(sub: str) -> str:
    """A stable mainland mobile for a local citizen who did not ask for one (`+86138` and 8 digits)."""
    digits = int(hashlib.sha256(sub.encode()).hexdigest(), 16) % 10**8
    return f"+86138{digits:08d}"


def _problem(field: str, problem: str) -> dict[str, str]:
    return {"field": field, "problem": problem}


def token_claims(req: dict[str, Any], pools: dict[str, str]) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    """(sub, role, unit, phone) for a `/local/tokens` body, or the problems with it."""
    from minyi.domain.phone import normalise_phone

    phone = req.get("phone")
    if phone is not None:
        try:
            phone = normalise_phone(str(phone))
        except ValueError as exc:
            return None, [_problem("phone", str(exc))]
    if req.get("role") is None and (req.get("username") or phone):
        return _account_claims(str(req.get("username") or ""), phone, pools)
    problems = []
    if not isinstance(req.get("sub"), str) or not req.get("sub"):
        problems.append(_problem("sub", "required: the user id (or give username or phone of an account)"))
    if req.get("role") not in TOKEN_ROLES:
        problems.append(_problem("role", f"one of {sorted(TOKEN_ROLES)}"))
    if req.get("role") == "staff" and not req.get("unit"):
        problems.append(_problem("unit", "staff tokens carry their unit id"))
    if problems:
        return None, problems
    if req["role"] == "citizen" and phone is None:
        phone = derived_phone(req["sub"])  # a citizen's account always has a verified mobile
    return {"sub": req["sub"], "role": req["role"], "unit": req.get("unit"), "phone": phone}, []


def _account_claims(
    username: str, phone: str | None, pools: dict[str, str]
) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    from minyi.adapters.cognito import CognitoUserDirectory

    for pool in pools.values():
        directory = CognitoUserDirectory(pool)
        account = directory.get(username) if username else directory.find_by_phone(str(phone))
        if account is None:
            continue
        if not account.enabled:
            return None, [_problem("username" if username else "phone", "the account is disabled")]
        if account.role is None:
            return None, [_problem("username" if username else "phone", "the account is in no group")]
        claims = {"sub": account.username, "role": account.role.value, "unit": account.unit_id, "phone": account.phone}
        return claims, []
    return None, [_problem("username" if username else "phone", "no such account in the local user pools")]


def seed_file(value: str | None) -> Path | None:
    """The catalogue file `MINYI_SEED` names (None: start empty)."""
    choice = (value or "shenzhen").strip()
    if choice.lower() == "none":
        return None
    return SEED_FILES.get(choice.lower(), Path(choice))


def seed_catalog(send: Callable[[str, str, bytes | None, dict[str, str]], tuple[int, bytes]], token: str) -> str:
    """Load the `MINYI_SEED` catalogue through the admin API, as `minyi catalog import` does."""
    from minyi.cli import AdminApi, import_catalog, read_document

    path = seed_file(os.environ.get("MINYI_SEED"))
    if path is None:
        return "catalogue: none (MINYI_SEED=none); load one with `minyi catalog import`"
    result = import_catalog(read_document(path), AdminApi("", token, send), source=str(path), out=io.StringIO())
    return f"catalogue: {path.name} as version {result.version or result.change.get('previous_version')}"
