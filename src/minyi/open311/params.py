"""GeoReport parameters -> commands, collecting every problem at once (pure).

An empty parameter is treated exactly like an absent one (`status=&page=` is no filter, page 1).
Every problem names its parameter; the caller answers all of them in one 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import ValidationError

from minyi.domain.deadlines import CITY_TZ
from minyi.domain.models import Catalog, Category, Location
from minyi.domain.phone import normalise_phone
from minyi.domain.text_rules import CONTROL_CHARACTERS
from minyi.open311 import mapping
from minyi.open311.errors import bad_request
from minyi.open311.model import GeoStatus

MAX_DESCRIPTION = 4000
MAX_ADDRESS = 300
MAX_NAME = 100
MAX_EMAIL = 254
MAX_ID = 128
MAX_URL = 2048
#: GET requests: the range may not span more than this, and is this long when not given.
MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE = 10_000
MAX_REQUEST_IDS = 50
#: Dates outside these years are refused: a window of MAX_SPAN around them must stay a datetime.
YEARS = (2, 9998)

_W3C = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]*)\]$")
_ID = re.compile(r"^[A-Za-z0-9-]{1,32}$")


def present(params: dict[str, str]) -> dict[str, str]:
    """Parameters with a value: empty (or blank) ones are absent."""
    return {k: v.strip() for k, v in params.items() if v is not None and v.strip() != ""}


@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)

    def add(self, name: str, problem: str) -> None:
        self.items.append(f"{name}: {problem}")

    def raise_any(self) -> None:
        if self.items:
            raise bad_request(*self.items)


# --- POST requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A validated GeoReport POST. Names and e-mail are checked and then dropped (never stored)."""

    service_code: str
    category: Category
    district: str
    description: str
    address: str | None
    location: Location | None
    media_url: str | None
    #: E.164 mainland mobile to text, or "" (absent, or not a mainland mobile: no SMS).
    phone: str
    device_id: str | None
    account_id: str | None


def _length(problems: _Problems, values: dict[str, str], name: str, limit: int) -> str | None:
    value = values.get(name)
    if value is not None and len(value) > limit:
        problems.add(name, f"at most {limit} characters")
        return None
    return value


def _float(problems: _Problems, values: dict[str, str], name: str) -> float | None:
    raw = values.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.add(name, "not a number")
        return None
    if value != value or value in (float("inf"), float("-inf")):
        problems.add(name, "not a number")
        return None
    return value


_CONTROL = CONTROL_CHARACTERS  # the same characters every JSON route refuses


def parse_submission(raw: dict[str, str], catalog: Catalog) -> Submission:
    values = present(raw)
    problems = _Problems()
    for name, value in values.items():
        if _CONTROL.search(value):
            problems.add(name, "contains control characters")

    service_code = values.get("service_code")
    if service_code is None:
        problems.add("service_code", "required")
    elif service_code not in catalog.topics:
        problems.add("service_code", "no such service; see services.xml")

    attributes: dict[str, str] = {}
    for name, value in values.items():
        m = _ATTRIBUTE.match(name)
        if m:
            code = m.group(1)
            if code not in (mapping.CATEGORY_ATTRIBUTE, mapping.DISTRICT_ATTRIBUTE):
                problems.add(name, "no such attribute; see the service definition")
            else:
                attributes[code] = value

    category: Category | None = None
    raw_category = attributes.get(mapping.CATEGORY_ATTRIBUTE)
    if raw_category is None:
        problems.add(f"attribute[{mapping.CATEGORY_ATTRIBUTE}]", "required")
    else:
        try:
            category = Category(raw_category)
        except ValueError:
            keys = ", ".join(c.value for c in Category)
            problems.add(f"attribute[{mapping.CATEGORY_ATTRIBUTE}]", f"must be one of {keys}")

    lat, lon = _float(problems, values, "lat"), _float(problems, values, "long")
    location: Location | None = None
    if ("lat" in values) != ("long" in values):
        problems.add("lat" if "lat" not in values else "long", "lat and long go together")
    elif lat is not None and lon is not None:
        try:
            location = Location(lat=lat, lon=lon)
        except ValidationError:
            problems.add("lat", "lat must be within -90..90 and long within -180..180")
    address = _length(problems, values, "address_string", MAX_ADDRESS)
    if "lat" not in values and "long" not in values and "address_string" not in values:
        if "address_id" in values:
            problems.add("address_id", "not supported here; send lat and long, or address_string")
        else:
            problems.add("lat", "a location is required: lat and long, or address_string")

    district = attributes.get(mapping.DISTRICT_ATTRIBUTE)
    if district is not None and district not in catalog.districts:
        problems.add(f"attribute[{mapping.DISTRICT_ATTRIBUTE}]", "no such district; see the service definition")
        district = None
    elif district is None:
        if location is not None and mapping.in_city(location.lat, location.lon):
            district = mapping.nearest_district(location.lat, location.lon, catalog.districts)
        elif "lat" not in values or location is not None:
            problems.add(f"attribute[{mapping.DISTRICT_ATTRIBUTE}]", "required unless lat and long are inside Shenzhen")

    description = _length(problems, values, "description", MAX_DESCRIPTION) or ""
    media_url = _length(problems, values, "media_url", MAX_URL)
    if media_url is not None:
        parts = urlsplit(media_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.add("media_url", "must be an http or https URL")
            media_url = None

    phone = ""
    if "phone" in values:
        try:
            e164 = normalise_phone(values["phone"])
        except ValueError as exc:
            problems.add("phone", _english(exc))
        else:
            # only a mainland mobile is texted; any other number is not kept at all
            phone = e164 if e164.startswith("+861") else ""
    for name in ("first_name", "last_name"):
        _length(problems, values, name, MAX_NAME)
    email = _length(problems, values, "email", MAX_EMAIL)
    if email is not None and not _EMAIL.match(email):
        problems.add("email", "not an e-mail address")
    device_id = _length(problems, values, "device_id", MAX_ID)
    account_id = _length(problems, values, "account_id", MAX_ID)

    problems.raise_any()
    assert service_code is not None and category is not None and district is not None
    return Submission(
        service_code=service_code,
        category=category,
        district=district,
        description=description,
        address=address,
        location=location,
        media_url=media_url,
        phone=phone,
        device_id=device_id,
        account_id=account_id,
    )


#: Where an API key may never be: URLs end up in access logs, proxies and browser histories.
KEY_IN_URL = "api_key: send it in the form-encoded body, never in the URL (URLs are logged)"


def refuse_key_in_url(query: dict[str, str] | None) -> None:
    """A 400 naming api_key if the query string carries one (the key is never echoed)."""
    if query and any(name.strip().lower() == "api_key" for name in query):
        raise bad_request(KEY_IN_URL)


def form_fields(query: dict[str, str] | None, body: list[tuple[str, str]]) -> dict[str, str]:
    """A POST's parameters: the form-encoded body over the query string (for clients that send
    parameters there), but never an api_key in the query string."""
    refuse_key_in_url(query)
    return {**(query or {}), **dict(body)}


def idempotency_key(raw: dict[str, str], header: str | None) -> str | None:
    """The client's request token: the `Idempotency-Key` header or the `idempotency_key` field."""
    field_value = present(raw).get("idempotency_key")
    header_value = header.strip() if header and header.strip() else None
    if field_value and header_value and field_value != header_value:
        raise bad_request("idempotency_key: differs from the Idempotency-Key header")
    key = field_value or header_value
    if key is not None and len(key) > MAX_ID:
        raise bad_request(f"idempotency_key: at most {MAX_ID} characters")
    return key


# --- GET requests and updates ----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class RequestQuery:
    ids: list[str] | None
    service_codes: list[str] | None
    statuses: list[GeoStatus] | None
    window: Window
    page: int
    page_size: int
    extensions: bool


@dataclass(frozen=True)
class UpdateQuery:
    window: Window
    page: int
    page_size: int


def _w3c(problems: _Problems, values: dict[str, str], name: str, end_of_day: bool) -> datetime | None:
    raw = values.get(name)
    if raw is None:
        return None
    if not _W3C.match(raw):
        problems.add(name, "must be a W3C date-time with a time zone, e.g. 2026-11-01T00:00:00+08:00")
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        problems.add(name, "not a real date or time")
        return None
    if not YEARS[0] <= at.year <= YEARS[1]:  # the 90-day window around it must stay a datetime
        problems.add(name, f"a year from {YEARS[0]} to {YEARS[1]}")
        return None
    if "T" not in raw:
        at = datetime.combine(at.date(), time.min, tzinfo=CITY_TZ)
        return at + timedelta(days=1) - timedelta(microseconds=1) if end_of_day else at
    return at


def _window(problems: _Problems, values: dict[str, str], now: datetime) -> Window:
    start = _w3c(problems, values, "start_date", end_of_day=False)
    end = _w3c(problems, values, "end_date", end_of_day=True)
    if start is None and end is None:
        return Window(now - MAX_SPAN, now)
    if start is None:
        assert end is not None
        return Window(end - MAX_SPAN, end)
    if end is None:
        return Window(start, start + MAX_SPAN)
    if end < start:
        problems.add("end_date", "is before start_date")
    elif end - start > MAX_SPAN:
        problems.add("end_date", "the range may not span more than 90 days")
    return Window(start, end)


def _int(problems: _Problems, values: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = values.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not (low <= int(raw) <= high):
        problems.add(name, f"a whole number from {low} to {high}")
        return default
    return int(raw)


def _paging(problems: _Problems, values: dict[str, str]) -> tuple[int, int]:
    page = _int(problems, values, "page", 1, 1, MAX_PAGE)
    size = _int(problems, values, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    return page, size


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _extensions(problems: _Problems, values: dict[str, str]) -> bool:
    if "extensions" not in values:
        return False
    flag = values["extensions"].lower()
    if flag not in ("true", "false"):
        problems.add("extensions", "true or false")
    return flag == "true"


def parse_request_query(raw: dict[str, str], catalog: Catalog, now: datetime) -> RequestQuery:
    values = present(raw)
    problems = _Problems()
    if "service_request_id" in values:
        # the ids override every other argument (only the extensions still apply)
        ids = list(dict.fromkeys(i.upper() for i in _list(values["service_request_id"])))
        if len(ids) > MAX_REQUEST_IDS:
            problems.add("service_request_id", f"at most {MAX_REQUEST_IDS} ids at once")
        if any(not _ID.match(i) for i in ids):
            problems.add("service_request_id", "not a service request id")
        extensions = _extensions(problems, values)
        problems.raise_any()
        return RequestQuery(ids, None, None, Window(now - MAX_SPAN, now), 1, len(ids) or 1, extensions)
    codes: list[str] | None = None
    if "service_code" in values:
        codes = _list(values["service_code"])
        unknown = [c for c in codes if c not in catalog.topics]
        if unknown:
            problems.add("service_code", "no such service; see services.xml")
    statuses: list[GeoStatus] | None = None
    if "status" in values:
        wanted = _list(values["status"])
        if any(s not in ("open", "closed") for s in wanted):
            problems.add("status", "open, closed or both (comma-separated)")
        statuses = [s for s in ("open", "closed") if s in wanted]  # type: ignore[misc]
    extensions = _extensions(problems, values)
    window = _window(problems, values, now)
    page, size = _paging(problems, values)
    problems.raise_any()
    return RequestQuery(None, codes or None, statuses or None, window, page, size, extensions)


def parse_update_query(raw: dict[str, str], now: datetime) -> UpdateQuery:
    values = present(raw)
    problems = _Problems()
    window = _window(problems, values, now)
    page, size = _paging(problems, values)
    problems.raise_any()
    return UpdateQuery(window, page, size)


def split_format(segment: str) -> tuple[str, Literal["xml", "json"] | None]:
    """`SZ2611-7KQ3MX.json` -> ("SZ2611-7KQ3MX", "json"); no known suffix -> (segment, None)."""
    stem, dot, fmt = segment.rpartition(".")
    if dot and fmt == "xml":
        return stem, "xml"
    if dot and fmt == "json":
        return stem, "json"
    return segment, None


def _english(exc: ValueError) -> str:
    """A refused value in English (GeoReport's descriptions are English), from its catalogue key."""
    from minyi import text
    from minyi.domain.errors import InvalidValue

    return text.render(exc.message, "en") if isinstance(exc, InvalidValue) else str(exc)
