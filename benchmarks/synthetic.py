"""A clearly synthetic corpus for the large benchmark sizes, reproducible by seed.

Every document is about a fictional "Synthetic programme <n>" in a fictional
"Country-<n>", with years after 2030, so no sentence can be mistaken for a fact
about a real programme. Nothing here is written under ``corpus/``: the benchmark
writes these chunks straight into a temporary index.

``generate(n, seed)`` returns exactly ``n`` chunks (as the project's own
:class:`~assistant.types.Chunk` objects, so their store metadata is the same as
ingestion writes), grouped into documents of 4-12 chunks of about 150 words
(the size the 200-token splitter produces). ``questions(...)`` returns distinct
questions that one of the chunks answers, and ``fake_vectors(...)`` unit vectors
at the model's dimension, clustered by topic, for rows whose figure does not
depend on what the embedder says.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import numpy as np

from assistant.types import Chunk, DocMeta

DIM = 384  # all-MiniLM-L6-v2

TOPICS = (
    "prison management", "juvenile justice", "victim support", "court administration", "anti-corruption",
    "probation services", "forensic science", "cybercrime investigation", "witness protection", "legal aid",
    "prosecution training", "police oversight", "community sentencing", "drug treatment courts", "asset recovery",
    "mutual legal assistance", "extradition practice", "trafficking prevention", "judicial ethics", "case management",
    "restorative justice", "pre-trial detention", "offender rehabilitation", "evidence handling", "crime statistics",
    "border control", "money laundering", "terrorism financing", "maritime crime", "wildlife crime",
    "criminal records", "parole boards", "sentencing guidelines", "interpreter services", "court fees",
    "detention monitoring", "gender-based violence", "child protection", "digital evidence", "public defenders",
)
ACTIVITIES = ("workshops", "study visits", "training courses", "expert missions", "peer reviews", "mentoring rounds")
PARTNERS = ("Agency", "Institute", "Council", "Academy", "Bureau", "Commission")
DOC_TYPES = ("programme_description", "seminar_record", "reference", "internal_note")
AUDIENCES = ("public", "public", "public", "partner", "staff")  # 60% public, 20% partner, 20% staff
FILLER = (
    "This paragraph is synthetic benchmark text and describes no real programme.",
    "All names, places and figures in this synthetic document are invented for load testing.",
    "The synthetic record was generated from templates and carries no factual content.",
)


@dataclass(frozen=True)
class SyntheticDoc:
    """The facts one synthetic document is built from (questions are asked about them)."""

    meta: DocMeta
    programme: int
    country: int
    topic: str
    since: int
    officials: int
    reviewer: str
    review_year: int


def _sentences(doc: SyntheticDoc, rng: random.Random, position: int) -> list[str]:
    """About 150 words of template sentences for one chunk of ``doc``."""
    p, c, t = doc.programme, doc.country, doc.topic
    out = []
    if position == 0:
        out.append(f"Synthetic programme {p} has run in Country-{c} since {doc.since}.")
        out.append(
            f"Synthetic programme {p} trained {doc.officials} synthetic officials in {t} during {doc.since + 1}."
        )
        out.append(f"The {t} component of synthetic programme {p} was reviewed by {doc.reviewer} in {doc.review_year}.")
    while sum(len(s.split()) for s in out) < 140:
        kind = rng.randrange(6)
        other = rng.choice(TOPICS)
        year = rng.randrange(2031, 2061)
        if kind == 0:
            out.append(
                f"In {year} synthetic programme {p} held {rng.randrange(2, 40)} {rng.choice(ACTIVITIES)} on {other} "
                f"for staff from Country-{rng.randrange(1, 500)} and Country-{c}."
            )
        elif kind == 1:
            out.append(
                f"Participants from Region-{rng.randrange(1, 60)} attended {rng.randrange(2, 30)} synthetic seminars "
                f"on {t} and {other} between {year} and {year + rng.randrange(1, 5)}."
            )
        elif kind == 2:
            out.append(
                f"A synthetic report for Country-{c} counted {rng.randrange(100, 99999)} cases of {other} "
                f"handled under the {t} strand in {year}."
            )
        elif kind == 3:
            out.append(
                f"{rng.choice(PARTNERS)}-{rng.randrange(1, 900)} advised synthetic programme {p} on {other}, "
                f"focusing on practical guidance for Country-{c}."
            )
        elif kind == 4:
            out.append(
                f"The budget line for {other} in synthetic programme {p} was set at "
                f"{rng.randrange(10, 990)} thousand synthetic credits for {year}."
            )
        else:
            out.append(rng.choice(FILLER))
    return out


def _docs_and_chunks(n: int, seed: int) -> tuple[list[SyntheticDoc], list[Chunk]]:
    rng = random.Random(seed)
    docs: list[SyntheticDoc] = []
    chunks: list[Chunk] = []
    number = 0
    while len(chunks) < n:
        number += 1
        programme = rng.randrange(1, 100000)
        country = rng.randrange(1, 500)
        topic = rng.choice(TOPICS)
        since = rng.randrange(2031, 2056)
        doc_id = f"synthetic/{number:06d}-programme-{programme}.md"
        title = f"Synthetic programme {programme}: {topic} in Country-{country}"
        meta = DocMeta(
            doc_id=doc_id,
            title=title,
            doc_type=rng.choice(DOC_TYPES),
            programme=f"synthetic-{programme}",
            countries=(f"Country-{country}",),
            region=f"Region-{rng.randrange(1, 60)}",
            years=(since,),
            audience=rng.choice(AUDIENCES),
            illustrative=False,
            summary=f"Synthetic benchmark document {number}; describes no real programme.",
        )
        doc = SyntheticDoc(
            meta=meta,
            programme=programme,
            country=country,
            topic=topic,
            since=since,
            officials=rng.randrange(12, 4000),
            reviewer=f"{rng.choice(PARTNERS)}-{rng.randrange(1, 900)}",
            review_year=since + rng.randrange(1, 5),
        )
        docs.append(doc)
        for position in range(min(rng.randrange(4, 13), n - len(chunks))):
            text = " ".join(_sentences(doc, rng, position))
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}#p0-{position}",
                    doc_id=doc_id,
                    text=text,
                    page=None,
                    section=f"Part {position + 1}",
                    position=position,
                    meta=meta,
                )
            )
    return docs, chunks


def generate(n: int, seed: int = 0) -> list[Chunk]:
    """Exactly ``n`` synthetic chunks; the same ``(n, seed)`` always gives the same chunks."""
    if n < 0:
        raise ValueError("n must be >= 0")
    return _docs_and_chunks(n, seed)[1]


def documents(n: int, seed: int = 0) -> tuple[list[SyntheticDoc], list[Chunk]]:
    """The documents behind ``generate(n, seed)`` and the chunks themselves."""
    return _docs_and_chunks(n, seed)


def questions(docs: list[SyntheticDoc], count: int, seed: int = 1, audience: str = "public") -> list[str]:
    """``count`` distinct questions, each answered by the first chunk of one ``audience`` document."""
    pool = [d for d in docs if d.meta.audience == audience] or list(docs)
    if not pool:
        return []
    rng = random.Random(seed)
    out: dict[str, None] = {}
    templates = (
        "Since when has synthetic programme {p} run in Country-{c}?",
        "How many officials did synthetic programme {p} train in {t}?",
        "Who reviewed the {t} component of synthetic programme {p}?",
        "When did synthetic programme {p} start its work in Country-{c}?",
        "Which body reviewed synthetic programme {p} on {t}, and in what year?",
    )
    tries = 0
    while len(out) < count and tries < count * 50:
        tries += 1
        d = rng.choice(pool)
        q = rng.choice(templates).format(p=d.programme, c=d.country, t=d.topic)
        out.setdefault(q, None)
    if len(out) < count:  # small pools: make the rest distinct by asking about a year too
        n = 0
        while len(out) < count:
            d = pool[n % len(pool)]
            out.setdefault(f"What did synthetic programme {d.programme} do in {2031 + n}?", None)
            n += 1
    return list(out)


def fake_vectors(chunks: list[Chunk], dim: int = DIM, seed: int = 0) -> np.ndarray:
    """Unit vectors, one per chunk: a per-topic centre plus noise (seeded; HashEmbedder-style, no model).

    Clustering by topic keeps the vector set from being uniform noise, which is an
    unusually hard (slow) case for HNSW, unlike real embeddings.
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((len(TOPICS), dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    topic_of = {t: i for i, t in enumerate(TOPICS)}
    which = np.array([topic_of.get(_topic_of(c), 0) for c in chunks], dtype=np.int64)
    noise = rng.standard_normal((len(chunks), dim)).astype(np.float32) / np.sqrt(dim)  # noise norm ~ 1
    vecs = centres[which] + noise if len(chunks) else np.zeros((0, dim), dtype=np.float32)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    return vecs.astype(np.float32)


def _topic_of(chunk: Chunk) -> str:
    return chunk.meta.title.split(": ", 1)[1].rsplit(" in Country-", 1)[0] if ": " in chunk.meta.title else ""


def fingerprint(chunks: list[Chunk]) -> str:
    """A digest of ids and texts (for checking reproducibility)."""
    digest = hashlib.sha256()
    for c in chunks:
        digest.update(c.chunk_id.encode())
        digest.update(b"\0")
        digest.update(c.text.encode())
        digest.update(b"\1")
    return digest.hexdigest()
