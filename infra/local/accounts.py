"""Accounts and the catalogue in the local runtime.

- The user pools of template.yaml (citizens', staff) with their groups, in the embedded moto, so the
  staff-accounts API runs the same Cognito adapter locally as in AWS; the functions get the pools'
  ids (moto chooses them) instead of the template's names.
- `/local/tokens` requests: a role's token as before (every citizen's with a verified phone: the one
  asked for, or a stable mainland number derived from `sub`), or the token of an account an admin
  created, looked up by `username` or `phone` (its role, unit and phone from the pool).
- Refresh, as Cognito's `REFRESH_TOKEN_AUTH` does it for the staff console: every answer carries an
  opaque `refresh_token` and the token's `expires_in` (`LOCAL_TOKEN_SECONDS`, default 12 hours; the
  staff pool's ID tokens last 15 minutes in AWS); `{"refresh_token"}` answers a new token for the same
  sign-in, looked up again, so a disabled account's refresh is refused (401), as Cognito refuses it.
- The seed: `MINYI_SEED` (default `shenzhen`: data/catalog/shenzhen.yaml; `none`: start empty, as a
  fresh stack does; or a path to a catalogue file), loaded through the admin API with the same code
  as `minyi catalog import`.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import threading
import time
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
            return None, [_problem("phone", _english(exc))]
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


#: How long a local token lasts unless LOCAL_TOKEN_SECONDS says otherwise.
DEFAULT_TOKEN_SECONDS = 12 * 3600
#: How long a refresh token lasts (the staff pool client's RefreshTokenValidity).
REFRESH_TOKEN_SECONDS = 12 * 3600


def token_seconds() -> int:
    """The lifetime of the tokens `/local/tokens` signs (`LOCAL_TOKEN_SECONDS`, at least 5 s)."""
    try:
        return max(5, int(os.environ.get("LOCAL_TOKEN_SECONDS", DEFAULT_TOKEN_SECONDS)))
    except ValueError:
        return DEFAULT_TOKEN_SECONDS


Issue = Callable[[str, str, str | None, str | None, int], str]


class RefreshTokens:
    """Opaque refresh tokens of the local runtime: each names the sign-in request it came from."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or time.time
        self._requests: dict[str, tuple[dict[str, Any], float]] = {}
        self._lock = threading.Lock()

    def issue(self, claims: dict[str, Any], from_account: bool) -> str:
        """A refresh token for these claims: an account's is looked up again by its username on refresh."""
        fields = ("sub", "role", "unit", "phone")
        request = {"username": claims["sub"]} if from_account else {k: claims[k] for k in fields}
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._requests[token] = (request, self._clock() + REFRESH_TOKEN_SECONDS)
        return token

    def request(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._requests.get(token)
        if found is None or found[1] <= self._clock():
            return None
        return dict(found[0])


def token_answer(
    req: dict[str, Any], pools: dict[str, str], issue: Issue, refresh: RefreshTokens
) -> tuple[int, dict[str, Any]]:
    """The status and body of a `/local/tokens` answer: a sign-in, or a refresh (`{"refresh_token"}`)."""
    if "refresh_token" in req:
        signed_in = refresh.request(str(req["refresh_token"]))
        if signed_in is None:
            problems = [_problem("refresh_token", "unknown or expired: sign in again")]
        else:
            claims, problems = _refreshed_claims(signed_in, pools)
            if claims is not None:
                return 200, _signed(claims, "username" in signed_in, issue, refresh)
        message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        return 401, {"error": "unauthorized", "message": message, "problems": problems}
    claims, problems = token_claims(req, pools)
    if claims is None:
        message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        return 422, {"error": "validation_error", "message": message, "problems": problems}
    from_account = req.get("role") is None and bool(req.get("username") or req.get("phone"))
    return 200, _signed(claims, from_account, issue, refresh)


def _refreshed_claims(
    signed_in: dict[str, Any], pools: dict[str, str]
) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    if "username" in signed_in:
        claims, problems = _account_claims(str(signed_in["username"]), None, pools)
        return claims, [{**p, "field": "refresh_token"} for p in problems]
    return signed_in, []


def _signed(claims: dict[str, Any], from_account: bool, issue: Issue, refresh: RefreshTokens) -> dict[str, Any]:
    ttl = token_seconds()
    return {
        "token": issue(claims["sub"], claims["role"], claims["unit"], claims["phone"], ttl),
        "sub": claims["sub"],
        "role": claims["role"],
        "phone": claims["phone"],
        "expires_in": ttl,
        "refresh_token": refresh.issue(claims, from_account),
    }


def seed_file(value: str | None) -> Path | None:
    """The catalogue file `MINYI_SEED` names (None: start empty)."""
    choice = (value or "shenzhen").strip()
    if choice.lower() == "none":
        return None
    return SEED_FILES.get(choice.lower(), Path(choice))


def seed_catalog(send: Callable[[str, str, bytes | None, dict[str, str]], tuple[int, bytes]], token: str) -> str:
    """Load the `MINYI_SEED` catalogue through the admin API, as `minyi catalog import` does."""
    from minyi.cli.catalog import import_catalog
    from minyi.cli.http import AdminApi
    from minyi.cli.yaml_files import read_document

    path = seed_file(os.environ.get("MINYI_SEED"))
    if path is None:
        return "catalogue: none (MINYI_SEED=none); load one with `minyi catalog import`"
    result = import_catalog(read_document(path), AdminApi("", token, send), source=str(path), out=io.StringIO())
    return f"catalogue: {path.name} as version {result.version or result.change.get('previous_version')}"


def _english(exc: ValueError) -> str:
    """A refused value as the local sign-in page shows it (English), from its catalogue key."""
    from minyi import text
    from minyi.domain.errors import InvalidValue

    return text.render(exc.message, "en") if isinstance(exc, InvalidValue) else str(exc)
