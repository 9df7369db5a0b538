"""Searching the knowledge base while the caller is on the line (pure).

Chinese has no spaces and the Lambda layer carries no word segmenter (jieba's dictionary alone is
tens of megabytes and seconds of import), so entries are scored by the character bigrams and
trigrams they share with the query: "公积金租房" finds "租房可以提取住房公积金吗？" through 公积, 积金,
租房. Latin words and numbers (App names, 12333) count as whole words. A gram in the question weighs
twice one in the answer; longer grams weigh more; the query found whole in the question wins outright.
A few hundred entries are scored in well under a millisecond, so there is no index to keep.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from minyi.domain.models import KnowledgeEntry

#: Runs of CJK ideographs, and Latin words or numbers; punctuation and spaces only separate.
_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+")
QUESTION_WEIGHT = 2
ANSWER_WEIGHT = 1
WHOLE_QUERY_BONUS = 20
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class KnowledgeHit:
    entry: KnowledgeEntry
    score: int


def grams(text: str) -> set[str]:
    """The text's searchable pieces: each CJK run's bigrams and trigrams (a lone character alone), and
    each Latin word or number whole."""
    pieces: set[str] = set()
    for run in _RUN.findall(text.lower()):
        if not ("\u3400" <= run[0] <= "\u9fff" or "\uf900" <= run[0] <= "\ufaff"):
            pieces.add(run)
            continue
        if len(run) == 1:
            pieces.add(run)
        for size in (2, 3):
            pieces.update(run[i : i + size] for i in range(len(run) - size + 1))
    return pieces


def _squeeze(text: str) -> str:
    return "".join(_RUN.findall(text.lower()))


def score(entry: KnowledgeEntry, query_grams: set[str], squeezed_query: str) -> int:
    question, answer = entry.question.lower(), entry.answer.lower()
    total = 0
    for gram in query_grams:
        if gram in question:
            total += QUESTION_WEIGHT * len(gram)
        if gram in answer:
            total += ANSWER_WEIGHT * len(gram)
    if total and squeezed_query and squeezed_query in _squeeze(entry.question):
        total += WHOLE_QUERY_BONUS
    return total


def search(
    entries: Sequence[KnowledgeEntry], query: str, topic: str | None = None, limit: int = 10
) -> list[KnowledgeHit]:
    """Entries sharing anything with the query, best first (ties: catalogue order); with `topic`, that
    topic's entries and those of no topic. An empty query lists the entries in catalogue order."""
    pool = [e for e in entries if topic is None or e.topic in (None, topic)]
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query:
        return [KnowledgeHit(entry=e, score=0) for e in pool[:limit]]
    query_grams, squeezed = grams(query), _squeeze(query)
    hits = [(score(e, query_grams, squeezed), i, e) for i, e in enumerate(pool)]
    ranked = sorted((h for h in hits if h[0] > 0), key=lambda h: (-h[0], h[1]))
    return [KnowledgeHit(entry=e, score=s) for s, _, e in ranked[:limit]]
