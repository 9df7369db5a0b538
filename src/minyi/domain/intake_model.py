"""The topic model of smart intake (issue 18): which of the catalogue's topics a complaint is about,
from its words alone, so that a resident who writes "彩田路口红绿灯坏了" need not know it is 交通出行.

Why it looks the way it does:

- **Character n-grams (1 to 3), no segmenter.** Complaints are short, colloquial and full of place
  names no dictionary knows (岗厦, 燕罗, 马峦). A word segmenter splits those unpredictably; character
  n-grams need no dictionary, so an unseen place name costs a few unknown features and nothing else,
  while 红绿灯, 拖欠, 物业 carry the topic. Digits are folded to 0 and full-width forms to half-width
  (NFKC), so "3号线" and "５号线" read alike.
- **A linear model over TF-IDF features** (multinomial logistic regression, trained in
  `minyi.services.intake_training`): one weight per feature and topic, scores a softmax in [0, 1]
  that sum to 1, best first. Inference is a dictionary look-up per n-gram: pure Python, no numpy,
  well under 5 ms a suggestion, so the request path needs no scientific library in the Lambda layer.
- **Keywords as the cold start.** Before any model is trained, the catalogue's `topics.<id>.keywords`
  score the text (each keyword found adds `keyword_weight` to its topic's logit); a trained model
  learns the keywords as tiny labelled examples instead and sets the weight to 0.
- **Compact JSON** (`to_json`/`from_json`): the weights rounded to 4 decimals when the model is built,
  so what is stored is exactly what was evaluated, a few hundred kilobytes for the seed set and at most
  a few megabytes for a city's year of cases (`MAX_MODEL_BYTES`).

Evaluation lives here too (pure): top-1 and top-3 accuracy, macro-F1, and the auto-route threshold
read off the held-out curve for a required precision (`choose_threshold`).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

FORMAT = 1
NGRAM_MIN, NGRAM_MAX = 1, 3
#: Only the first characters of a very long description are read (a suggestion stays fast).
MAX_TEXT_CHARS = 2000
#: What a stored model may weigh (issue 18: ≤ 5 MB, loaded in ≤ 300 ms).
MAX_MODEL_BYTES = 5 * 1024 * 1024
#: Weights are kept to this many decimals: smaller JSON, and the stored model is the evaluated one.
WEIGHT_DECIMALS = 4
#: Each keyword found adds this to its topic's logit in the keyword (cold-start) model.
KEYWORD_WEIGHT = 2.0
#: How many topics a suggestion names at least (issue 18: "at least three").
DEFAULT_TOP_K = 3

#: Runs of text are split at anything that is neither a letter nor a digit (punctuation, spaces).
_SPLIT = re.compile(r"[^\w]+|_+")
_DIGITS = re.compile(r"\d")


class ModelKind(StrEnum):
    """Where a model's scores come from."""

    KEYWORDS = "keywords"  # the catalogue's keywords alone: the cold start
    LINEAR = "linear"  # trained weights over character n-grams


class InvalidModel(ValueError):
    """A stored model that cannot be read as one (wrong format, shapes that disagree)."""


def normalise(text: str) -> str:
    """What the features are read from: NFKC (full-width to half-width), lower case, digits as 0."""
    folded = unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS]).lower()
    return _DIGITS.sub("0", folded)


def ngrams(text: str, low: int = NGRAM_MIN, high: int = NGRAM_MAX) -> Counter[str]:
    """Character n-grams of `low` to `high` characters with their counts, within runs of letters and
    digits (an n-gram never spans punctuation or a space)."""
    counts: Counter[str] = Counter()
    for run in _SPLIT.split(normalise(text)):
        for n in range(low, high + 1):
            for i in range(len(run) - n + 1):
                counts[run[i : i + n]] += 1
    return counts


@dataclass(frozen=True)
class TopicScore:
    """One topic of a suggestion and its score in [0, 1]."""

    topic: str
    score: float


def softmax(logits: Sequence[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


@dataclass
class TopicModel:
    """A topic model as stored and served. `weights[feature]` is `[idf, w_topic0, w_topic1, ...]`
    in the order of `topics`; `bias` has one value per topic."""

    version: str
    kind: ModelKind
    topics: list[str]
    bias: list[float]
    weights: dict[str, list[float]] = field(default_factory=dict)
    keywords: dict[str, list[str]] = field(default_factory=dict)
    keyword_weight: float = 0.0
    #: The lowest top score routed without a person (chosen on held-out data); None: never.
    auto_threshold: float | None = None
    #: The held-out measurements the model was chosen on (top1, top3, macro_f1, ...).
    metrics: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        width = len(self.topics) + 1
        if not self.topics or len(self.bias) != len(self.topics):
            raise InvalidModel("a model needs one bias per topic")
        if any(len(row) != width for row in self.weights.values()):
            raise InvalidModel(f"every weight row holds the idf and one weight per topic ({width} numbers)")
        unknown = set(self.keywords) - set(self.topics)
        if unknown:
            raise InvalidModel(f"keywords for unknown topics: {sorted(unknown)}")

    # --- inference ------------------------------------------------------------------------------

    def features(self, text: str) -> dict[str, float]:
        """The text's TF-IDF vector over the model's vocabulary, L2-normalised (unknown n-grams,
        such as most of a place name never seen, simply do not count)."""
        counts = ngrams(text)
        return tfidf(counts, {f: self.weights[f][0] for f in counts if f in self.weights})

    def logits(self, text: str) -> list[float]:
        out = list(self.bias)
        for feature, value in self.features(text).items():
            row = self.weights[feature]
            for j in range(len(out)):
                out[j] += value * row[j + 1]
        if self.keyword_weight:
            folded = normalise(text)
            for j, topic in enumerate(self.topics):
                out[j] += self.keyword_weight * sum(1 for k in self.keywords.get(topic, ()) if k in folded)
        return out

    def scores(self, text: str) -> dict[str, float]:
        """Every topic's score in [0, 1] (they sum to 1)."""
        return dict(zip(self.topics, softmax(self.logits(text)), strict=True))

    def suggest(self, text: str, k: int = DEFAULT_TOP_K) -> list[TopicScore]:
        """The `k` best topics, best first (ties in the catalogue's order)."""
        scored = sorted(self.scores(text).items(), key=lambda item: -item[1])
        return [TopicScore(topic, round(score, 4)) for topic, score in scored[: max(1, k)]]

    def auto_topic(self, text: str) -> str | None:
        """The topic to route to without a person, when the best score clears the auto threshold."""
        best = self.suggest(text, 1)[0]
        if self.auto_threshold is None or best.score < self.auto_threshold:
            return None
        return best.topic

    # --- storage ----------------------------------------------------------------------------------

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "kind": self.kind.value,
            "topics": self.topics,
            "bias": self.bias,
            "keywords": self.keywords,
            "keyword_weight": self.keyword_weight,
            "auto_threshold": self.auto_threshold,
            "metrics": self.metrics,
            "weights": self.weights,
        }

    def to_json(self) -> str:
        """Compact JSON (no spaces, features in a stable order): the stored model."""
        body = self.as_json()
        body["weights"] = dict(sorted(self.weights.items()))
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> TopicModel:
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                raise InvalidModel(f"not a topic model of format {FORMAT}")
            return cls(
                version=str(raw["version"]),
                kind=ModelKind(raw["kind"]),
                topics=[str(t) for t in raw["topics"]],
                bias=[float(b) for b in raw["bias"]],
                # json gives numbers already: the rows are taken as they are (a big model loads in
                # json.loads' time), their shapes checked by the constructor
                weights=_rows(raw["weights"]),
                keywords={str(t): [str(k) for k in ks] for t, ks in raw.get("keywords", {}).items()},
                keyword_weight=float(raw.get("keyword_weight", 0.0)),
                auto_threshold=None if raw.get("auto_threshold") is None else float(raw["auto_threshold"]),
                metrics={str(k): float(v) for k, v in raw.get("metrics", {}).items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, InvalidModel):
                raise
            raise InvalidModel(f"unreadable topic model: {exc}") from exc


def _rows(raw: Any) -> dict[str, list[float]]:
    if not isinstance(raw, dict) or not all(isinstance(row, list) for row in raw.values()):
        raise InvalidModel("weights must map each n-gram to a list of numbers")
    return raw


def tfidf(counts: Mapping[str, int], idf: Mapping[str, float]) -> dict[str, float]:
    """Sublinear term frequency times idf over the known features, L2-normalised."""
    vector = {f: (1.0 + math.log(c)) * idf[f] for f, c in counts.items() if f in idf}
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {f: v / norm for f, v in vector.items()} if norm else {}


def keyword_model(
    topics: Sequence[str], keywords: Mapping[str, Iterable[str]], version: str = "keywords"
) -> TopicModel:
    """The cold-start model: the catalogue's keywords alone. It never routes on its own (no auto
    threshold): a person confirms what keywords suggest."""
    return TopicModel(
        version=version,
        kind=ModelKind.KEYWORDS,
        topics=list(topics),
        bias=[0.0] * len(topics),
        # kept as the features read them (normalise), so a keyword matches however it was typed
        keywords={t: [normalise(k) for k in keywords.get(t, ()) if k.strip()] for t in topics if keywords.get(t)},
        keyword_weight=KEYWORD_WEIGHT,
    )


# --- evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """A model measured on labelled texts it never saw."""

    examples: int
    top1: float
    top3: float
    macro_f1: float
    #: The auto-route threshold for the required precision (None: no threshold reaches it).
    auto_threshold: float | None
    #: The share of the examples whose best score clears the threshold, and how many of those are right.
    auto_share: float
    auto_precision: float | None

    def as_metrics(self) -> dict[str, float]:
        out = {
            "examples": float(self.examples),
            "top1": self.top1,
            "top3": self.top3,
            "macro_f1": self.macro_f1,
            "auto_share": self.auto_share,
        }
        if self.auto_precision is not None:
            out["auto_precision"] = self.auto_precision
        return {k: round(v, 4) for k, v in out.items()}


def macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    """Macro-averaged F1 over every topic that is either true or predicted in (true, predicted) pairs."""
    topics = sorted({t for pair in pairs for t in pair})
    if not topics:
        return 0.0
    total = 0.0
    for topic in topics:
        tp = sum(1 for true, pred in pairs if true == topic and pred == topic)
        fp = sum(1 for true, pred in pairs if true != topic and pred == topic)
        fn = sum(1 for true, pred in pairs if true == topic and pred != topic)
        total += 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return total / len(topics)


def choose_threshold(curve: Sequence[tuple[float, bool]], precision: float) -> float | None:
    """The lowest best-score threshold at which the texts routed automatically (best score at or above
    it) are right at least `precision` of the time, from (best score, was it right) pairs on held-out
    data: the most automation the required precision allows. None when no threshold reaches it."""
    ordered = sorted(curve, key=lambda pair: -pair[0])
    chosen: float | None = None
    right = 0
    for i, (score, correct) in enumerate(ordered):
        right += correct
        last_of_tie = i + 1 == len(ordered) or ordered[i + 1][0] < score
        if last_of_tie and right / (i + 1) >= precision:
            chosen = score
    return chosen


def evaluate(
    model: TopicModel,
    examples: Sequence[tuple[str, str]],
    precision: float | None = None,
    threshold: float | None = None,
) -> Evaluation:
    """Top-1, top-3, macro-F1 of `model` on (text, topic) pairs, and automatic routing: at the
    threshold chosen from these same pairs for `precision` when one is given, else at `threshold`
    (None: nothing is routed automatically)."""
    if not examples:
        return Evaluation(0, 0.0, 0.0, 0.0, None, 0.0, None)
    top1 = top3 = 0
    pairs: list[tuple[str, str]] = []
    curve: list[tuple[float, bool]] = []
    for text, topic in examples:
        ranked = model.suggest(text, 3)
        best = ranked[0]
        top1 += best.topic == topic
        top3 += any(s.topic == topic for s in ranked)
        pairs.append((topic, best.topic))
        curve.append((best.score, best.topic == topic))
    if precision is not None:
        threshold = choose_threshold(curve, precision)
    routed = [correct for score, correct in curve if threshold is not None and score >= threshold]
    n = len(examples)
    return Evaluation(
        examples=n,
        top1=top1 / n,
        top3=top3 / n,
        macro_f1=macro_f1(pairs),
        auto_threshold=threshold,
        auto_share=len(routed) / n,
        auto_precision=sum(routed) / len(routed) if routed else None,
    )
