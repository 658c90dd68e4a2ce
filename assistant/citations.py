"""Citations as a contract: whatever wrote the draft, our code decides what stands.

A draft is text with ``[n]`` markers pointing into the retrieved passages. Each
sentence is checked against the passages it cites (lexical overlap + embedding
similarity, and every number it states must appear in the evidence; a sentence in
another language than its passage, as a model writes for a foreign reader, is judged
by the embedding alone). A sentence
that its citation does not support is re-attached to a passage that does, or
else dropped (or kept and marked, by setting). Out-of-range markers are removed,
sources are numbered in order of first use and de-duplicated by document and page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.confusables import looks_like_injection
from assistant.embedding import Embedder
from assistant.lang import detect, same_language
from assistant.text import content_terms, overlap, split_sentences
from assistant.types import AnswerSentence, Citation, Passage

# Similarity a cross-language claim needs for support 0 and 1 (multilingual-e5-small, measured on translated
# corpus sentences): the default support_min_score 0.5 then asks for a similarity of 0.85.
CROSS_LINGUAL_SPAN = (0.80, 0.90)
MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")


class Scorer:
    """Sentence embeddings with an in-process cache (the corpus sentences repeat across questions)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._cache: dict[str, np.ndarray] = {}

    def vectors(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            if len(self._cache) > 20000:
                self._cache.clear()
            for t, v in zip(todo, self.embedder.embed(todo)):
                self._cache[t] = v
        if not texts:
            return np.zeros((0, getattr(self.embedder, "dim", 1)), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def similarity(self, a: str, others: list[str]) -> np.ndarray:
        if not others:
            return np.zeros(0, dtype=np.float32)
        vecs = self.vectors([a, *others])
        return vecs[1:] @ vecs[0]


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def support(scorer: Scorer, claim: str, passage: Passage) -> tuple[float, str]:
    """How well ``passage`` backs ``claim`` (0..1), and the passage sentence that backs it best."""
    sentences = [s for s in split_sentences(passage.text) if not looks_like_injection(s)] or [passage.text]
    if claim in sentences:  # quoted verbatim (the extractive case): no need to measure
        return 1.0, claim
    sims = scorer.similarity(claim, sentences)
    best = int(np.argmax(sims))
    if not same_language(detect(claim), detect(passage.text[:400])):
        # a claim written in the reader's language about a passage in another: shared words mean nothing,
        # so the embedding alone decides (a multilingual encoder's translations of a sentence score 0.87-0.95
        # against it, other sentences 0.74-0.81; see CROSS_LINGUAL_SPAN)
        lo, hi = CROSS_LINGUAL_SPAN
        score = min(max((float(sims[best]) - lo) / (hi - lo), 0.0), 1.0)
    else:
        lexical = overlap(claim, passage.text)
        score = 0.5 * lexical + 0.5 * float(max(sims[best], 0.0))
    missing_numbers = _numbers(claim) - _numbers(passage.text)
    if missing_numbers:
        score = min(score, 0.2)  # a figure the evidence does not state is never supported
    return score, sentences[best]


@dataclass(frozen=True)
class Checked:
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    dropped: tuple[str, ...]


def parse_draft(draft: str) -> list[tuple[str, list[int]]]:
    """Split a draft into (sentence without markers, cited numbers) pairs."""
    out = []
    for sentence in split_sentences(draft):
        cited: list[int] = []
        for group in MARKER.findall(sentence):
            cited.extend(int(n) for n in re.split(r"[,;]", group) if n.strip())
        text = MARKER.sub("", sentence).strip()
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        if len(content_terms(text)) >= 2:
            out.append((text, cited))
    return out


def check(
    draft: str,
    passages: list[Passage],
    scorer: Scorer,
    min_support: float,
    unsupported: str = "drop",
    source_paths: dict[str, str] | None = None,
) -> Checked:
    """Verify and renumber the citations of ``draft`` against ``passages`` (numbered from 1)."""
    source_paths = source_paths or {}
    kept: list[tuple[str, list[tuple[Passage, str]], bool, float]] = []
    dropped: list[str] = []
    for text, cited in parse_draft(draft):
        valid = [passages[n - 1] for n in dict.fromkeys(cited) if 1 <= n <= len(passages)]
        backing = []
        best_score = 0.0
        for passage in valid:
            score, quote = support(scorer, text, passage)
            best_score = max(best_score, score)
            if score >= min_support:
                backing.append((passage, quote))
        if not backing:  # wrong or missing citation: find the passage that does support it
            scored = [(support(scorer, text, p), p) for p in passages]
            if scored:
                (score, quote), passage = max(scored, key=lambda item: item[0][0])
                best_score = max(best_score, score)
                if score >= min_support:
                    backing = [(passage, quote)]
        if backing:
            kept.append((text, backing, True, best_score))
        elif unsupported == "mark":
            kept.append((text, [], False, best_score))
        else:
            dropped.append(text)
    return _number(kept, dropped, source_paths)


def _number(kept, dropped, source_paths) -> Checked:
    numbers: dict[tuple[str, int | None], int] = {}
    first: dict[tuple[str, int | None], tuple[Passage, float]] = {}
    quotes: dict[tuple[str, int | None], list[str]] = {}
    sentences: list[AnswerSentence] = []
    for text, backing, supported, score in kept:
        refs: list[int] = []
        for passage, quote in backing:
            key = (passage.doc_id, passage.page)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                first[key] = (passage, score)
                quotes[key] = []
            if quote not in quotes[key]:
                quotes[key].append(quote)
            if numbers[key] not in refs:
                refs.append(numbers[key])
        sentences.append(AnswerSentence(text=text, citations=tuple(refs), supported=supported, support=round(score, 3)))
    citations = []
    for key, n in numbers.items():
        passage, score = first[key]
        citations.append(
            Citation(
                n=n, doc_id=passage.doc_id, title=passage.title, page=passage.page, quote=" ".join(quotes[key]),
                source_path=source_paths.get(passage.doc_id, ""), chunk_id=passage.chunk_id, passage=passage.text,
                doc_type=passage.doc_type, score=round(score, 3), quotes=tuple(quotes[key]),
            )
        )
    return Checked(tuple(sentences), tuple(citations), tuple(dropped))


def render(sentences: tuple[AnswerSentence, ...]) -> str:
    """Answer text with ``[n]`` after each sentence; unsupported ones visibly marked."""
    parts = []
    for s in sentences:
        marks = "".join(f"[{n}]" for n in s.citations)
        body = s.text if s.supported else f"{s.text} [unsupported]"
        if marks and body[-1:] in ".!?":
            parts.append(f"{body[:-1]} {marks}{body[-1]}")
        else:
            parts.append(f"{body} {marks}".strip())
    return " ".join(parts)


def closest_sources(passages: list[Passage], source_paths: dict[str, str], limit: int = 3) -> tuple[Citation, ...]:
    """The best passages, one per document, for a declined answer ("the closest sources are ...")."""
    out: list[Citation] = []
    seen: set[str] = set()
    for p in passages:
        if p.doc_id in seen:
            continue
        seen.add(p.doc_id)
        sentences = split_sentences(p.text)
        first = next((x for x in sentences if len(x.split()) >= 6 and not looks_like_injection(x)), p.text)
        out.append(
            Citation(
                n=len(out) + 1, doc_id=p.doc_id, title=p.title, page=p.page, quote=first[:300],
                source_path=source_paths.get(p.doc_id, ""), chunk_id=p.chunk_id, passage=p.text,
                doc_type=p.doc_type, score=p.score,
            )
        )
        if len(out) == limit:
            break
    return tuple(out)
