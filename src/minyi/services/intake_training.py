"""Training the intake topic model (issue 18, part 3) in pure Python, so the monthly training function
needs no scikit-learn in its package and `minyi model train` runs anywhere the product runs.

The examples are closed cases labelled with their final topic (after returns and transfers) and the
seed set shipped under `data/intake/` (`load_seed`). What is held out, and why:

- **The newest fifth of the closed cases** when there are at least `MIN_DATED_HELD_OUT` of them: the
  model is judged on what the city wrote most recently, the complaints it will meet next. The seed set
  is then always trained on.
- Otherwise (a fresh city, seed set only) **every fifth example of each topic**, in file order, so the
  held-out slice has every topic in it.

The model is multinomial logistic regression over the TF-IDF of character n-grams
(`minyi.domain.intake_model`), fitted by stochastic gradient descent in a fixed, seeded order:
the same examples and parameters give the same model, byte for byte. The catalogue's keywords join
the training set as one tiny example each, so a topic's words count even when few cases use them.

The result carries the held-out metrics (top-1, top-3, macro-F1) and the auto-route threshold read off
the held-out curve for the required precision (default 0.95). **Promotion:** the candidate replaces
the model in force only when it beats it on the same held-out slice: a higher top-1, or the same
top-1 and a higher macro-F1. With no model in force, the catalogue's keyword model is the one to beat.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from minyi.domain.intake_model import (
    WEIGHT_DECIMALS,
    Evaluation,
    ModelKind,
    TopicModel,
    evaluate,
    keyword_model,
    ngrams,
    softmax,
    tfidf,
)

#: The precision automatic routing must reach on the held-out slice (issue 18: ≥ 0.95).
DEFAULT_PRECISION = 0.95
#: Fewer dated cases than this, and the held-out slice is every fifth example of each topic instead.
MIN_DATED_HELD_OUT = 100
HELD_OUT_SHARE = 5  # one in five


class ExampleSource(StrEnum):
    SEED = "seed"  # written for the seed set (data/intake/)
    CASE = "case"  # a closed case with its final topic
    KEYWORD = "keyword"  # one of the catalogue's keywords


@dataclass(frozen=True)
class LabelledExample:
    text: str
    topic: str
    source: ExampleSource = ExampleSource.SEED
    #: When the case closed (None for seed examples): orders the cases for the newest fifth.
    closed_at: datetime | None = None
    district: str | None = None


@dataclass(frozen=True)
class TrainingParams:
    """How a model is fitted; the defaults are the ones `make bench` measures."""

    epochs: int = 15
    learning_rate: float = 1.0
    #: L2 regularisation per step (applied to the weights an example touches).
    l2: float = 1e-5
    #: An n-gram counts when at least this many training texts contain it (keywords always count).
    min_df: int = 2
    #: The vocabulary keeps the most frequent n-grams up to this many (bounds the model's size).
    max_features: int = 40_000
    seed: int = 18
    precision: float = DEFAULT_PRECISION


@dataclass(frozen=True)
class TrainingResult:
    model: TopicModel
    held_out: Evaluation
    #: The model in force measured on the same held-out slice (the keyword model when none was).
    in_force: Evaluation
    promoted: bool
    train_examples: int
    held_out_examples: int


def load_seed(path: str | Path) -> list[LabelledExample]:
    """A seed file: JSON lines of {"topic", "text", "district"?}."""
    examples = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row, dict) or not row.get("text") or not row.get("topic"):
            raise ValueError(f"{path}:{number}: a seed line needs text and topic")
        examples.append(LabelledExample(text=row["text"], topic=row["topic"], district=row.get("district")))
    return examples


def split(examples: Sequence[LabelledExample]) -> tuple[list[LabelledExample], list[LabelledExample]]:
    """(training, held out): the newest fifth of the dated cases, or every fifth of each topic."""
    dated = [e for e in examples if e.closed_at is not None]
    if len(dated) >= MIN_DATED_HELD_OUT:
        newest = sorted(
            (i for i, e in enumerate(examples) if e.closed_at is not None), key=examples_closed_at(examples)
        )
        held = set(newest[len(newest) - len(newest) // HELD_OUT_SHARE :])
    else:
        seen: Counter[str] = Counter()
        held = set()
        for i, example in enumerate(examples):
            seen[example.topic] += 1
            if seen[example.topic] % HELD_OUT_SHARE == 0:
                held.add(i)
    train = [e for i, e in enumerate(examples) if i not in held]
    return train, [e for i, e in enumerate(examples) if i in held]


def examples_closed_at(examples: Sequence[LabelledExample]) -> Callable[[int], tuple[datetime, int]]:
    """Sort key of an example's position: when its case closed, then where it stands in the input."""

    def key(i: int) -> tuple[datetime, int]:
        closed_at = examples[i].closed_at
        assert closed_at is not None
        return closed_at, i

    return key


def keyword_examples(keywords: Mapping[str, Iterable[str]]) -> list[LabelledExample]:
    return [
        LabelledExample(text=word, topic=topic, source=ExampleSource.KEYWORD)
        for topic, words in keywords.items()
        for word in words
    ]


def fit(
    examples: Sequence[LabelledExample],
    topics: Sequence[str],
    version: str,
    params: TrainingParams = TrainingParams(),
) -> TopicModel:
    """Multinomial logistic regression over TF-IDF character n-grams, by seeded SGD."""
    known = [e for e in examples if e.topic in topics]
    docs = [ngrams(e.text) for e in known]
    df: Counter[str] = Counter()
    for doc, example in zip(docs, known, strict=True):
        df.update(doc.keys())
        if example.source is ExampleSource.KEYWORD:
            df.update({f: params.min_df for f in doc})  # a keyword's n-grams always count
    vocabulary = sorted((f for f, n in df.items() if n >= params.min_df), key=lambda f: (-df[f], f))
    vocabulary = vocabulary[: params.max_features]
    n_docs = len(docs)
    idf = {f: math.log((1 + n_docs) / (1 + df[f])) + 1.0 for f in vocabulary}
    index = {f: i for i, f in enumerate(sorted(vocabulary))}
    labels = {t: j for j, t in enumerate(topics)}
    vectors = [[(index[f], v) for f, v in sorted(tfidf(doc, idf).items())] for doc in docs]
    targets = [labels[e.topic] for e in known]

    k = len(topics)
    weights = [[0.0] * k for _ in index]
    bias = [0.0] * k
    order = list(range(len(vectors)))
    rng = random.Random(params.seed)
    step = 0
    for _epoch in range(params.epochs):
        rng.shuffle(order)
        for i in order:
            x, y = vectors[i], targets[i]
            if not x:
                continue
            step += 1
            rate = params.learning_rate / (1.0 + 0.01 * step / max(1, len(order)))
            logits = list(bias)
            for f, v in x:
                row = weights[f]
                for j in range(k):
                    logits[j] += v * row[j]
            probs = softmax(logits)
            shrink = 1.0 - rate * params.l2
            for j in range(k):
                grad = probs[j] - (1.0 if j == y else 0.0)
                if -1e-6 < grad < 1e-6:
                    continue
                bias[j] -= rate * grad
                for f, v in x:
                    weights[f][j] = weights[f][j] * shrink - rate * grad * v

    rounded: dict[str, list[float]] = {}
    for feature, position in index.items():
        row = [round(w, WEIGHT_DECIMALS) for w in weights[position]]
        if any(row):
            rounded[feature] = [round(idf[feature], WEIGHT_DECIMALS), *row]
    return TopicModel(
        version=version,
        kind=ModelKind.LINEAR,
        topics=list(topics),
        bias=[round(b, WEIGHT_DECIMALS) for b in bias],
        weights=rounded,
    )


def model_version(trained_at: datetime, examples: Sequence[LabelledExample], params: TrainingParams) -> str:
    """`YYYYMMDD-<hash>`: the day, and a digest of what was trained on and how (same data, same name)."""
    digest = hashlib.sha256(repr(params).encode())
    for e in examples:
        digest.update(f"{e.topic}\t{e.text}\n".encode())
    return f"{trained_at:%Y%m%d}-{digest.hexdigest()[:8]}"


def beats(candidate: Evaluation, in_force: Evaluation) -> bool:
    """The promotion rule: a higher top-1 on the same held-out slice, or the same and a higher macro-F1."""
    return (round(candidate.top1, 6), round(candidate.macro_f1, 6)) > (
        round(in_force.top1, 6),
        round(in_force.macro_f1, 6),
    )


def train(
    examples: Sequence[LabelledExample],
    topics: Sequence[str],
    keywords: Mapping[str, Sequence[str]],
    trained_at: datetime,
    in_force: TopicModel | None = None,
    params: TrainingParams = TrainingParams(),
) -> TrainingResult:
    """Fit a candidate on all but the held-out slice, measure it and the model in force there, choose
    its auto-route threshold from its held-out curve, and say whether it is to be promoted."""
    training, held_out = split([e for e in examples if e.topic in topics])
    version = model_version(trained_at, training, params)
    candidate = fit([*training, *keyword_examples(keywords)], topics, version, params)
    pairs = [(e.text, e.topic) for e in held_out]
    measured = evaluate(candidate, pairs, params.precision)
    candidate.auto_threshold = None if measured.auto_threshold is None else round(measured.auto_threshold, 4)
    candidate.metrics = measured.as_metrics()
    incumbent = in_force if in_force is not None else keyword_model(topics, keywords)
    incumbent_measured = evaluate(incumbent, pairs, threshold=incumbent.auto_threshold)
    return TrainingResult(
        model=candidate,
        held_out=measured,
        in_force=incumbent_measured,
        promoted=bool(held_out) and beats(measured, incumbent_measured),
        train_examples=len(training),
        held_out_examples=len(held_out),
    )
