"""Answer-or-decline, learned: a logistic model over retrieval and answer features.

After the answer step has drafted an answer, :class:`DeclineModel` estimates the
probability that the question is answerable from the retrieved passages (the fit can
also target "answerable and answered correctly"; see evals/decline_fit.py), and the
assistant declines below the model's threshold. The features are cheap
(the draft already embedded every sentence they look at) and mostly relative —
margins, ranks, shares of question terms — so they do not hang on one encoder's
similarity scale; the parameters file still names the encoder it was fitted
with, and a model fitted with another encoder is not used (the answer_min_score
threshold decides instead, with a warning). The model itself is a dot product:
microseconds on CPU.

Parameters live in a small JSON file (``decline_model.json`` next to this module
by default; setting ``decline_model``), written by ``python -m evals calibrate
SUITE... --fit``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.types import Passage

log = logging.getLogger(__name__)

PACKAGED = Path(__file__).resolve().parent / "decline_model.json"
SCHEMA = 1
FEATURES = (
    "best_score",        # the extractive scorer's best sentence score (0.6 similarity + 0.4 term coverage, discounted)
    "score_margin",      # best minus second-best sentence score
    "best_sim",          # question-sentence cosine similarity of the best sentence
    "sim_margin",        # best sentence similarity minus the mean over the scored sentences (scale-free)
    "sentence_coverage",  # share of the question's topic terms in the best sentence alone
    "context_coverage",  # the same, counting the sentence's document title and section
    "passage_coverage",  # the same, in the whole top passage
    "slots_present",     # share of the answer slots the question requires (year, person, ...) the best sentence has
    "slots_required",    # 1 when the question requires any slot
    "novelty",           # share of the best sentence's terms the question does not contain
    "best_in_top",       # the best sentence comes from the top-ranked passage
    "dense_top",         # 1 / dense rank of the top passage (0 when the dense side did not find it)
    "keyword_top",       # 1 / keyword (BM25) rank of the top passage (0 when BM25 did not find it)
    "fused_top",         # fused (RRF) score of the top passage, as a share of the highest possible
    "fused_margin",      # its margin over the second passage, on the same scale
    "doc_spread",        # distinct documents among the passages, as a share of the passages
    "question_terms",    # topic terms in the question (capped at 10, divided by 10)
    "passage_missing",   # question topic terms absent from the top passage and its title (capped at 4, / 4)
    "sentence_missing",  # question topic terms absent from the best sentence's passage and title (capped at 4, / 4)
    "names_missing",     # names and numbers of the question absent from the top passage and title (capped at 3, / 3)
    "negation_unmatched",  # the question negates (not, never, no...) and the best sentence does not
)
_NEGATION = re.compile(r"\b(?:not|never|no|none|nor|without|cannot)\b|n't\b", re.IGNORECASE)
_NAME = re.compile(r"\b(?:[A-Z][\w'-]+|\d[\d,.]*)")


def names(text: str) -> set[str]:
    """Capitalised words after the first word, and numbers, lower-cased: what an entity swap changes."""
    found = _NAME.findall(text)
    first = text.split()[0] if text.split() else ""
    return {n.lower().strip(",.") for n in found if n != first and n.lower().strip(",.")}


def features(question: str, passages: Sequence[Passage], scored: Sequence[tuple[float, str, int]], sims: Sequence[float], rrf_k: int) -> dict[str, float]:
    """The feature vector (as a name -> value mapping) for one drafted question.

    ``scored`` is the extractive scorer's (score, sentence, passage number) list, best first;
    ``sims`` the question's cosine similarity to each of those sentences, in the same order.
    """
    from assistant.text import content_terms, coverage, has_slot, novelty, question_terms, required_slots

    f = dict.fromkeys(FEATURES, 0.0)
    terms = question_terms(question)
    f["question_terms"] = min(len(terms), 10) / 10
    if passages:
        top = passages[0]
        top_possible = 2.0 / (rrf_k + 1)
        f["dense_top"] = 1.0 / top.ranks["dense"] if top.ranks.get("dense") else 0.0
        f["keyword_top"] = 1.0 / top.ranks["keyword"] if top.ranks.get("keyword") else 0.0
        f["fused_top"] = top.score / top_possible
        f["fused_margin"] = (top.score - (passages[1].score if len(passages) > 1 else 0.0)) / top_possible
        f["doc_spread"] = len({p.doc_id for p in passages}) / len(passages)
        f["passage_coverage"] = coverage(question, top.text, top.title)
        f["passage_missing"] = min(len(terms - content_terms(f"{top.title} {top.text}")), 4) / 4
        hay = f"{top.title} {top.text}".lower()
        f["names_missing"] = min(sum(1 for n in names(question) if n not in hay), 3) / 3
    if scored:
        best, sentence, n = scored[0]
        f["best_score"] = float(best)
        f["score_margin"] = float(best - scored[1][0]) if len(scored) > 1 else float(best)
        if len(sims):
            f["best_sim"] = float(sims[0])
            f["sim_margin"] = float(sims[0]) - sum(float(s) for s in sims) / len(sims)
        f["sentence_coverage"] = len(terms & content_terms(sentence)) / len(terms) if terms else 0.0
        passage = passages[n - 1] if 0 < n <= len(passages) else None
        f["context_coverage"] = coverage(question, sentence, f"{passage.title} {passage.section}" if passage else "")
        if passage is not None:
            f["sentence_missing"] = min(len(terms - content_terms(f"{passage.title} {passage.text}")), 4) / 4
        slots = required_slots(question)
        f["slots_required"] = 1.0 if slots else 0.0
        f["slots_present"] = sum(has_slot(s, sentence) for s in slots) / len(slots) if slots else 1.0
        f["novelty"] = novelty(question, sentence)
        f["best_in_top"] = 1.0 if n == 1 else 0.0
        f["negation_unmatched"] = 1.0 if _NEGATION.search(question) and not _NEGATION.search(sentence) else 0.0
    return f


def measure(question: str, passages: Sequence[Passage], scorer, settings) -> dict[str, float]:
    """:func:`features` with the extractive scorer's sentence scores (embeddings come from the scorer's cache)."""
    from assistant.backends.extractive import ExtractiveBackend

    scored = ExtractiveBackend(settings, scorer).score(question, list(passages)) if passages else []
    sims = scorer.similarity(question, [s for _, s, _ in scored]) if scored else []
    return features(question, passages, scored, list(sims), settings.rrf_k)


@dataclass
class DeclineModel:
    """Standardised logistic regression: p = sigmoid(bias + sum(w_i * (x_i - mean_i) / scale_i))."""

    features: tuple[str, ...]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    threshold: float = 0.5
    draft_min_score: float = 0.0  # the answer step's answer_min_score while the model is in charge
    encoder: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    def probability(self, values: dict[str, float]) -> float:
        z = self.bias
        for name, m, s, w in zip(self.features, self.mean, self.scale, self.weights):
            z += w * (float(values.get(name, 0.0)) - m) / s
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_data(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "encoder": self.encoder,
            "features": list(self.features),
            "mean": [round(v, 6) for v in self.mean],
            "scale": [round(v, 6) for v in self.scale],
            "weights": [round(v, 6) for v in self.weights],
            "bias": round(self.bias, 6),
            "threshold": round(self.threshold, 4),
            "draft_min_score": self.draft_min_score,
            "info": self.info,
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_data(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def from_data(cls, data: dict[str, Any], where: str = "decline model") -> DeclineModel:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError(f"{where}: not a decline model file (schema {SCHEMA})")
        names = tuple(data.get("features") or ())
        unknown = [n for n in names if n not in FEATURES]
        if unknown:
            raise ValueError(f"{where}: unknown feature(s) {', '.join(unknown)}")
        columns = [data.get(k) for k in ("mean", "scale", "weights")]
        if not names or any(not isinstance(c, list) or len(c) != len(names) for c in columns):
            raise ValueError(f"{where}: features, mean, scale and weights must be lists of one length")
        if any(float(s) <= 0 for s in data["scale"]):
            raise ValueError(f"{where}: every scale must be positive")
        return cls(
            features=names,
            mean=[float(v) for v in data["mean"]],
            scale=[float(v) for v in data["scale"]],
            weights=[float(v) for v in data["weights"]],
            bias=float(data.get("bias", 0.0)),
            threshold=float(data.get("threshold", 0.5)),
            draft_min_score=float(data.get("draft_min_score", 0.0)),
            encoder=str(data.get("encoder") or ""),
            info=dict(data.get("info") or {}),
        )

    @classmethod
    def load(cls, path: Path) -> DeclineModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_data(data, str(path))


def load_for(settings) -> DeclineModel | None:
    """The model the settings name, if it exists, loads and was fitted with this encoder; else None (logged)."""
    path = getattr(settings, "decline_model", None)
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        if path != PACKAGED:
            log.warning("decline model %s not found; declining by answer_min_score instead", path)
        return None
    try:
        model = DeclineModel.load(path)
    except (OSError, ValueError) as exc:
        log.warning("decline model not used: %s; declining by answer_min_score instead", exc)
        return None
    if model.encoder and model.encoder != settings.embed_model:
        log.warning(
            "decline model %s was fitted with encoder %r, not %r; declining by answer_min_score instead "
            "(re-fit it: python -m evals calibrate SUITE --fit --out FILE)", path, model.encoder, settings.embed_model,
        )
        return None
    return model
