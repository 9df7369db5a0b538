"""Duplicate candidates of smart intake (issue 18, part 4): which open cases a new complaint may repeat,
ranked, and when the platform would bet that it does (pure).

Candidates are open cases of the same topic within `RADIUS_M` of the new complaint, filed in the last
`WINDOW`: the nearby index gives them (a geohash cell and its neighbours), this module keeps those
truly within the radius and ranks them by three signals, each in [0, 1]:

- **text**: cosine similarity of the two descriptions' character bigram and trigram counts. No
  segmenter, for the reasons of `minyi.domain.intake_model`: two residents name the same crossing
  (彩田路, 福华路) and the same thing (红绿灯) in different sentences, and shared n-grams catch that;
  single characters are left out (they match everything in Chinese);
- **distance**: 1 at the same point, 0 at the radius;
- **recency**: 1 now, 0 at the window's end.

`score` is their weighted sum. `likely_duplicate` is stricter than the rank: it needs all three to be
strong (`LikelyRule`) and the same district, never across districts (two districts' units would each
answer for their own side of a boundary road). The rule's thresholds were tuned on the labelled pairs
in `data/intake/duplicates.jsonl` (`make bench` measures its precision and recall there: targets
≥ 0.9 and ≥ 0.8).

What a reader sees of another person's case (PIPL): a citizen never another citizen's words, only
the topic, the district and how long ago (`citizen_summary`); staff the description with phone
numbers and other identifiers masked (`minyi.domain.privacy.scrub`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from minyi.domain.geohash import distance_m
from minyi.domain.intake_model import ngrams
from minyi.domain.messages import Message, message
from minyi.domain.privacy import scrub

#: Candidates lie within this distance of the new complaint (issue 18: 300 m) ...
RADIUS_M = 300.0
#: ... and were filed within this long before it (issue 18: 30 days).
WINDOW = timedelta(days=30)
#: At most this many candidates are shown, best first.
MAX_CANDIDATES = 5
#: How much each signal weighs in the rank (they sum to 1).
TEXT_WEIGHT, DISTANCE_WEIGHT, RECENCY_WEIGHT = 0.6, 0.25, 0.15
#: The text n-grams compared (bigrams and trigrams: single characters match everything).
TEXT_NGRAMS = (2, 3)


@dataclass(frozen=True)
class LikelyRule:
    """When the platform bets that a candidate is the same problem: all three signals strong."""

    min_text: float = 0.25
    max_distance_m: float = 150.0
    max_age: timedelta = timedelta(days=14)


LIKELY = LikelyRule()


@dataclass(frozen=True)
class OpenCase:
    """What the nearby index holds of an open case (its projection: no phone, no owner)."""

    case_id: str
    tracking_no: str
    topic: str
    district: str
    status: str
    lat: float
    lon: float
    description: str
    created_at: datetime


@dataclass(frozen=True)
class Candidate:
    """One ranked candidate; `text`, `distance_m` and `age` are what the score was made of."""

    case: OpenCase
    distance_m: float
    text: float
    age: timedelta
    score: float
    likely_duplicate: bool


def text_vector(text: str) -> Counter[str]:
    """The text's bigram and trigram counts, read after `scrub`: a phone number or a plate says who
    wrote, not what the problem is (and its digits would outweigh the words)."""
    low, high = TEXT_NGRAMS
    return ngrams(scrub(text), low, high)


def similarity(a: str, b: str) -> float:
    """Cosine similarity of the two texts' character bigram and trigram counts, in [0, 1]."""
    va, vb = text_vector(a), text_vector(b)
    if not va or not vb:
        return 0.0
    dot = sum(count * vb[gram] for gram, count in va.items() if gram in vb)
    norm = math.sqrt(sum(c * c for c in va.values())) * math.sqrt(sum(c * c for c in vb.values()))
    return min(1.0, dot / norm) if norm else 0.0


def rank(
    description: str,
    lat: float,
    lon: float,
    district: str | None,
    cases: Sequence[OpenCase],
    now: datetime,
    *,
    exclude: str | None = None,
    limit: int = MAX_CANDIDATES,
    rule: LikelyRule = LIKELY,
) -> list[Candidate]:
    """The best `limit` candidates among `cases` for a complaint at (lat, lon): those within the radius
    and the window (and not the case `exclude`), best first. `district` is the complaint's district when
    known: a candidate of another district is never a likely duplicate."""
    found: list[Candidate] = []
    for case in cases:
        if case.case_id == exclude:
            continue
        distance = distance_m((lat, lon), (case.lat, case.lon))
        age = max(timedelta(0), now - case.created_at)
        if distance > RADIUS_M or age > WINDOW:
            continue
        text = similarity(description, case.description)
        score = TEXT_WEIGHT * text + DISTANCE_WEIGHT * (1 - distance / RADIUS_M) + RECENCY_WEIGHT * (1 - age / WINDOW)
        likely = (
            district is not None
            and case.district == district
            and text >= rule.min_text
            and distance <= rule.max_distance_m
            and age <= rule.max_age
        )
        found.append(Candidate(case, round(distance, 1), round(text, 4), age, round(score, 4), likely))
    found.sort(key=lambda c: (-c.score, c.distance_m, c.case.tracking_no))
    return found[:limit]


def citizen_summary(candidate: Candidate) -> Message:
    """What a citizen sees of another person's case: its topic, its district and how long ago (days,
    or hours on its first day), never its words."""
    days = candidate.age.days
    if days >= 1:
        return message("intake.summary.days", topic=candidate.case.topic, district=candidate.case.district, days=days)
    hours = max(1, int(candidate.age.total_seconds() // 3600))
    return message("intake.summary.hours", topic=candidate.case.topic, district=candidate.case.district, hours=hours)


def staff_summary(candidate: Candidate) -> str:
    """What staff see: the description, phone numbers and other identifiers masked."""
    return scrub(candidate.case.description)


# --- evaluation on labelled pairs (make bench, tests) ----------------------------------------------


@dataclass(frozen=True)
class PairScore:
    """The likely-duplicate flag measured on labelled pairs: of the flagged, how many are the same
    problem (precision); of the same problems, how many are flagged (recall)."""

    pairs: int
    precision: float
    recall: float
    cross_district_flags: int


def evaluate_pairs(pairs: Sequence[dict[str, object]], rule: LikelyRule = LIKELY) -> PairScore:
    """Each pair `{"same", "open": {text, district, lat, lon, days_ago}, "new": {text, district, lat, lon}}`
    (data/intake/duplicates.jsonl): is the open case flagged as the new complaint's likely duplicate?"""
    now = datetime(2026, 1, 15, 12, 0)
    flagged = right = same = cross = 0
    for i, pair in enumerate(pairs):
        old, new = pair["open"], pair["new"]
        assert isinstance(old, dict) and isinstance(new, dict)
        case = OpenCase(
            case_id=str(i),
            tracking_no=f"T{i}",
            topic=str(pair.get("topic", "")),
            district=str(old["district"]),
            status="DISPATCHED",
            lat=float(old["lat"]),
            lon=float(old["lon"]),
            description=str(old["text"]),
            created_at=now - timedelta(days=float(old["days_ago"])),
        )
        found = rank(
            str(new["text"]), float(new["lat"]), float(new["lon"]), str(new["district"]), [case], now, rule=rule
        )
        flag = bool(found) and found[0].likely_duplicate
        same += bool(pair["same"])
        if flag:
            flagged += 1
            right += bool(pair["same"])
            cross += old["district"] != new["district"]
    return PairScore(
        pairs=len(pairs),
        precision=right / flagged if flagged else 1.0,
        recall=right / same if same else 1.0,
        cross_district_flags=cross,
    )
