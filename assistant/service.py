"""The assistant as one object: the app, the REST API, the CLI and evals all go through here.

``Assistant.stream`` yields typed events (searched query, draft text, the final
verified answer); ``Assistant.ask`` returns the final :class:`Answer`. Documents,
files and passages are only ever handed out after the reader's role is checked.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant import access
from assistant.access import check_role
from assistant.backends import BackendError, make_backend
from assistant.citations import Scorer, check, closest_sources, render
from assistant.embedding import Embedder, embedder_for
from assistant.followup import condense
from assistant.keyword import KeywordIndex
from assistant.lang import detect, same_language
from assistant.retrieve import Retriever
from assistant.settings import Settings
from assistant.store import ChromaStore, DocRecord, Manifest, StoreUnavailableError
from assistant.types import Answer, Filters, Passage

log = logging.getLogger(__name__)

DECLINE_TEXT = "The documents do not cover this question, so I will not guess."
EMPTY_INDEX = ("Nothing is indexed yet, so there is nothing to answer from. Put documents in the corpus folder and "
               "run `python -m ingest corpus` (or `make ingest`), or, as an admin, upload them in the Documents tab.")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class NotFoundError(LookupError):
    """No such document for this reader (the same answer whether it is missing or not allowed)."""


def has_words(text: str) -> bool:
    """Whether the text has a letter or a digit (``🙂🙂🙂`` or ``?!`` is no question to search for)."""
    return any(ch.isalnum() for ch in text)


def clean_question(question: str, limit: int) -> tuple[str, list[str]]:
    """Strip control characters, squeeze space, cut to ``limit`` characters (with a notice)."""
    if not isinstance(question, str):
        raise ValueError("the question must be text")
    text = " ".join(_CONTROL.sub(" ", question).split())
    if not text:
        raise ValueError("the question is empty")
    notices = []
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] or text[:limit]
        notices.append(f"Your question was {len(question):,} characters long; only the first {limit:,} were used.")
    return text, notices


class Assistant:
    """Retrieval, answering and citation checks over one index, for many readers."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None, store: ChromaStore | None = None) -> None:
        self.settings = settings
        self.store = store or ChromaStore(settings)
        self._embedder = embedder
        self._scorer: Scorer | None = None
        self._backend = None
        self._decline_model: Any = False  # not loaded yet (None: no usable model)
        self._keyword: KeywordIndex | None = None
        self._manifest: Manifest | None = None
        self._manifest_mtime: float | None = None
        self._retriever: Retriever | None = None
        self._companion: Any = False  # the multilingual index's Assistant, made on first use (None: none configured)
        self._lock = threading.RLock()
        self._audit_lock = threading.Lock()

    # --- lazily built parts -------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            s = self.settings
            self._embedder = embedder_for(s)
        return self._embedder

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            self._scorer = Scorer(self.embedder)
        return self._scorer

    @property
    def backend(self):
        if self._backend is None:
            model, settings = self.decline_model, self.settings
            if model is not None:  # the model decides; the answer step drafts from the floor it was fitted with
                settings = settings.model_copy(update={"answer_min_score": model.draft_min_score})
            self._backend = make_backend(settings, self.scorer)
        return self._backend

    @property
    def decline_model(self):
        """The fitted answer-or-decline model (setting decline_model), or None: answer_min_score decides."""
        if self._decline_model is False:
            from assistant.decline import load_for

            self._decline_model = load_for(self.settings)
        return self._decline_model

    def _model_declines(self, query: str, passages: list[Passage]) -> str:
        """The reason the decline model gives for declining this draft, or "" to keep it."""
        model = self.decline_model
        if model is None:
            return ""
        from assistant.decline import measure

        p = model.probability(measure(query, passages, self.scorer, self.settings))
        if p >= model.threshold:
            return ""
        return f"the passages are unlikely to answer this (answer confidence {p:.2f} < {model.threshold:.2f})"

    @property
    def companion(self) -> Assistant | None:
        """The multilingual index beside this one (setting multilingual_model), or None when none is configured or
        it holds nothing yet (an index built before it was configured: the next ingestion builds it)."""
        with self._lock:
            if self._companion is False:
                settings = self.settings.companion
                self._companion = Assistant(settings) if settings is not None else None
            companion = self._companion
        if companion is None:
            return None
        try:
            return companion if companion.manifest.docs else None
        except Exception as exc:  # an unreadable second index must not take English answers down
            log.warning("multilingual index not usable: %s", exc)
            return None

    def _engine_for(self, reader: str) -> Assistant:
        """Who answers a reader of ``reader``: the multilingual index for other languages than English, when built."""
        from assistant import crosslingual

        if crosslingual.keyword_weight(reader) < 1.0:
            return self.companion or self
        return self

    def refresh(self) -> None:
        """Reload the manifest and keyword index when an ingestion has changed them."""
        path = Manifest.path_for(self.settings)
        mtime = path.stat().st_mtime if path.exists() else None
        with self._lock:
            if self._manifest is not None and mtime == self._manifest_mtime:
                return
            manifest = Manifest.load(self.settings)
            keyword_dir = self.settings.index_dir / f"keyword-{self.settings.index_settings_hash}"
            keyword = KeywordIndex.load(keyword_dir)
            if keyword is not None and keyword.stamp != manifest.version:
                log.warning("keyword index %s does not match index %s; re-run ingestion", keyword.stamp, manifest.version)
            if self._manifest is not None and not manifest.dirty and manifest.version != self._manifest.version:
                self.store.reopen()  # an ingestion finished: read the store as it is now
            self._manifest, self._keyword, self._manifest_mtime = manifest, keyword, mtime

    @property
    def manifest(self) -> Manifest:
        self.refresh()
        assert self._manifest is not None
        return self._manifest

    def warm_up(self) -> None:
        """Load the index and the model now rather than on the first question."""
        self.refresh()
        self.scorer.vectors(["warm up"])
        try:  # open the store and touch the index now, not on the first question
            self.retrieve("programme", role="public", k=1)
        except StoreUnavailableError as exc:
            log.warning("store not reachable at warm-up: %s", exc)
        if self.settings.companion is not None:  # the multilingual encoder loads behind the first English answers
            threading.Thread(target=self._warm_companion, name="warm-multilingual", daemon=True).start()

    def _warm_companion(self) -> None:
        try:
            companion = self.companion
            if companion is not None:
                companion.scorer.vectors(["warm up"])
        except Exception as exc:  # a first foreign question will report it
            log.warning("multilingual index not warmed up: %s", exc)

    # --- documents ----------------------------------------------------------------------
    def documents(self, role: str = "public") -> list[DocRecord]:
        """Documents this reader may see, by title."""
        check_role(role)
        docs = [d for d in self.manifest.docs.values() if access.may_see(role, d.audience)]
        return sorted(docs, key=lambda d: d.title.lower())

    def document(self, doc_id: str, role: str = "public") -> DocRecord:
        check_role(role)
        rec = self.manifest.docs.get(doc_id)
        if rec is None or not access.may_see(role, rec.audience):
            raise NotFoundError(f"no document {doc_id!r}")
        return rec

    def document_file(self, doc_id: str, role: str = "public") -> Path:
        """The original file of a document the reader may see (NotFoundError otherwise)."""
        path = Path(self.document(doc_id, role).path)
        if not path.is_file():
            raise NotFoundError(f"the file of {doc_id!r} is no longer on disk")
        return path

    def has_documents(self) -> bool:
        """Whether anything is indexed at all (an empty index answers every question with how to fill it)."""
        try:
            return bool(self.manifest.docs)
        except Exception:  # a broken index is reported where it is used, not here
            return True

    def source_paths(self) -> dict[str, str]:
        return {doc_id: rec.path for doc_id, rec in self.manifest.docs.items()}

    def health(self, role: str = "public") -> dict[str, Any]:
        """Status and index identity, with totals for what ``role`` may see only (and no paths)."""
        docs = self.documents(role)
        try:
            self.store.count()  # is the store reachable? (its total is not the reader's business)
            status = "ok"
        except StoreUnavailableError:
            status = "store unavailable"
        if not self.manifest.docs:
            status = "no documents indexed"
        return {
            "status": status,
            **({} if self.manifest.docs else {"ready": False, "hint": EMPTY_INDEX}),
            "documents": len(docs),
            "chunks": sum(len(d.chunk_ids) for d in docs),
            "embed_model": self.settings.embed_model,
            "backend": self.settings.backend,
            "settings_hash": self.settings.settings_hash,
            "index_version": self.manifest.version,
            "multilingual_index": self._companion_health(),
        }

    def _companion_health(self) -> dict[str, Any] | None:
        """The multilingual index's model and whether it holds what the main index holds (None: not configured)."""
        settings = self.settings.companion
        if settings is None:
            return None
        companion = self.companion
        built = set(companion.manifest.docs) if companion is not None else set()
        missing = len(set(self.manifest.docs) - built)
        return {"model": settings.embed_model, "ready": companion is not None and not missing,
                **({"hint": "run the ingestion again (python -m ingest corpus) to build it"} if missing else {})}

    # --- questions ----------------------------------------------------------------------
    def retrieve(
        self, query: str, role: str = "public", filters: Filters | dict | None = None, k: int | None = None,
        keyword_weight: float = 1.0,
    ) -> list[Passage]:
        self.refresh()
        filters = filters if isinstance(filters, Filters) else Filters.from_dict(filters)
        with self._lock:
            if self._retriever is None or self._retriever.keyword is not self._keyword:
                self._retriever = Retriever(self.settings, self.store, self._keyword, self.embedder)
            retriever = self._retriever
        return retriever.retrieve(query, check_role(role), filters, k, keyword_weight=keyword_weight)

    def _search(
        self, query: str, role: str, filters: Filters | None, reader: str, k: int | None = None
    ) -> tuple[Assistant, list[Passage], bool]:
        """(the index that answers, its passages, whether question and passages differ in language) for a reader of
        ``reader``: this index, or the multilingual one beside it (Settings.companion)."""
        from assistant import crosslingual

        weight = crosslingual.keyword_weight(reader)
        engine = self._engine_for(reader)
        passages = engine.retrieve(query, role, filters, k, keyword_weight=weight)
        found = detect(" ".join(p.text for p in passages[:3])) if passages else reader
        if weight < 1.0 and passages and same_language(reader, found):
            # documents in the reader's own language (a Vietnamese question over Vietnamese records): their words
            # match the question's, so keyword search counts in full (ViQuAD 2.0: right passage first 0.62 -> 0.64)
            passages = engine.retrieve(query, role, filters, k, keyword_weight=1.0)
        # a question in another language than the passages' (either way round) is scored across languages
        cross = weight < 1.0 or bool(passages) and not same_language(reader, found)
        if cross and engine is self and (companion := self.companion) is not None:
            # e.g. an English question that found Vietnamese passages: the multilingual encoder reads both
            engine = companion
            passages = engine.retrieve(query, role, filters, k, keyword_weight=weight)
        if engine is not self:
            # The main index is the record of what exists and who may see it: the one beside it can lag behind (an
            # ingestion stopped between the two passes, an audience just raised), so its passages are kept only
            # for documents the main index holds and this reader may see there.
            docs = self.manifest.docs
            passages = [p for p in passages if p.doc_id in docs and access.may_see(role, docs[p.doc_id].audience)]
        return engine, passages, cross

    def retrieve_as_asked(
        self, question: str, query: str, role: str = "public", filters: Filters | dict | None = None,
        k: int | None = None, lang: str | None = None,
    ) -> list[Passage]:
        """The passages ``ask`` retrieves for ``question`` (searched as ``query``, its condensed form): from the index
        and with the keyword weight its reader gets (evaluation reports retrieval from this)."""
        from assistant import crosslingual

        filters = filters if isinstance(filters, Filters) else Filters.from_dict(filters)
        reader = crosslingual.reader_language(clean_question(question, self.settings.max_question_chars)[0], lang)
        return self._search(query, check_role(role), filters, reader, k)[1]

    def ask(
        self, question: str, history: list[dict] | None = None, role: str = "public", filters: Filters | dict | None = None,
        user: str | None = None, lang: str | None = None,
    ) -> Answer:
        """``lang``: the reader's language (ISO 639-1); None or "auto" detects it from the question."""
        answer = None
        for event in self.stream(question, history, role, filters, user=user, lang=lang):
            if event["type"] == "answer":
                answer = event["answer"]
        assert answer is not None
        return answer

    def stream(
        self, question: str, history: list[dict] | None = None, role: str = "public", filters: Filters | dict | None = None,
        user: str | None = None, lang: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Events: ``searched_for`` {query}, ``draft`` {text}, ``answer`` {answer: Answer}. ``user``: the signed-in
        reader's name, for the audit log.

        The answer is for a reader of ``lang`` (detected from the question when None; see
        assistant.crosslingual): quotes stay in the documents' language, the rest is translated."""
        from assistant import crosslingual
        started = time.perf_counter()
        timings: dict[str, float] = {}
        role = check_role(role)
        text, notices = clean_question(question, self.settings.max_question_chars)
        filters = filters if isinstance(filters, Filters) else Filters.from_dict(filters)

        if not has_words(text):  # "🙂🙂🙂": no question to search for, nor the subject of a follow-up
            from assistant import crosslingual, i18n

            reader = crosslingual.reader_language(text, lang)
            answer = Answer(question=text, text=i18n.t("ask.no_words", reader, text=text[:40]), declined=True,
                            citations=(), searched_for=text, notices=tuple(notices), timings={"total_ms": _ms(started)},
                            settings_hash=self.settings.settings_hash, index_version=self.manifest.version,
                            backend=self.settings.backend, kind="no_question")
            yield {"type": "answer", "answer": answer}
            return

        if not self.has_documents():
            answer = Answer(question=text, text=EMPTY_INDEX, declined=True, citations=(), searched_for=text,
                            notices=tuple(notices) + ("Declined: nothing is indexed yet.",), timings={"total_ms": _ms(started)},
                            settings_hash=self.settings.settings_hash, index_version=self.manifest.version,
                            backend=self.settings.backend, kind="empty_index")
            yield {"type": "answer", "answer": answer}
            return

        t = time.perf_counter()
        query = condense(text, history)
        timings["condense_ms"] = _ms(t)
        yield {"type": "searched_for", "query": query, "rewritten": query != text}
        reader = crosslingual.reader_language(text, lang)

        t = time.perf_counter()
        structured = self.eligibility_answer(query, role, reader)
        timings["eligibility_ms"] = _ms(t)
        if structured is not None:
            timings["total_ms"] = _ms(started)
            answer = dataclasses.replace(
                structured, question=text, searched_for=query, notices=tuple(notices) + structured.notices,
                timings=timings, settings_hash=self.settings.settings_hash, index_version=self.manifest.version,
                backend="eligibility",
            )
            answer = crosslingual.localise(answer, reader)
            self._audit(answer, role, user)
            yield {"type": "answer", "answer": answer}
            return

        t = time.perf_counter()
        engine, passages, cross = self._search(query, role, filters, reader)
        paths = self.source_paths()
        timings["retrieve_ms"] = _ms(t)
        t = time.perf_counter()
        draft_text, declined, reason = "", not passages, "nothing retrievable for this reader" if not passages else ""
        if passages:
            try:
                parts = []
                if self.settings.backend == "extractive" and cross:
                    from assistant import crosslingual_answer  # a foreign question: scored across languages

                    draft = crosslingual_answer.draft(query, passages, engine.backend, engine.scorer, engine.embedder)
                    draft_text, declined, reason = draft.text, draft.declined, draft.reason
                elif self.settings.backend == "extractive":
                    draft = engine.backend.draft(query, passages)
                    draft_text, declined, reason = draft.text, draft.declined, draft.reason
                else:
                    for piece in self.backend.stream(query, passages, lang=reader):  # one model, either index
                        parts.append(piece)
                        yield {"type": "draft", "text": "".join(parts)}
                    from assistant.backends.prompt import DECLINE_TOKEN

                    draft_text = "".join(parts).strip()
                    declined = not draft_text or draft_text.upper().startswith(DECLINE_TOKEN)
                    reason = "the model found no answer in the passages" if declined else ""
            except BackendError as exc:
                notices.append(f"The answer model failed: {exc}")
                declined, reason = True, "backend error"
        timings["answer_ms"] = _ms(t)
        if not declined and engine.decline_model is not None and not cross:  # fitted on English
            t = time.perf_counter()
            reason = engine._model_declines(query, passages)
            declined = bool(reason)
            timings["decline_ms"] = _ms(t)

        t = time.perf_counter()
        checked = check(draft_text, passages, engine.scorer, self.settings.support_min_score, source_paths=paths) if not declined else None
        timings["verify_ms"] = _ms(t)
        if checked is not None and checked.dropped:
            notices.append(f"{len(checked.dropped)} sentence(s) without support in the documents were removed.")
        if checked is None or not checked.sentences:
            declined = True
        timings["total_ms"] = _ms(started)
        answer = Answer(
            question=text,
            text=DECLINE_TEXT if declined else render(checked.sentences),
            declined=declined,
            citations=() if declined else checked.citations,
            searched_for=query,
            sentences=() if declined else checked.sentences,
            closest=closest_sources(passages, paths) if declined else (),
            notices=tuple(notices + ([f"Declined: {reason}."] if declined and reason else [])),
            timings=timings,
            settings_hash=self.settings.settings_hash,
            index_version=engine.manifest.version,
            backend=self.settings.backend,
        )
        answer = crosslingual.localise(answer, reader) if self.settings.backend == "extractive" or declined else answer
        self._audit(answer, role, user)
        yield {"type": "answer", "answer": answer}

    def eligibility(
        self, country: str | None, role: str | None, topic: str | None = None, programme: str | None = None,
        reader_role: str = "public",
    ) -> dict[str, Any]:
        """Every programme the reader may see with a verdict and the clauses behind it (ValueError on bad input)."""
        path = self.settings.corpus_dir / "eligibility.yaml"
        if not path.is_file():
            raise ValueError(f"no eligibility catalogue at {path}")
        result = self._eligibility_engine(path).check(country or None, role or None, topic or None, programme or None,
                                            reader_role=check_role(reader_role))
        return result.to_dict()

    def eligibility_answer(self, question: str, role: str, lang: str = "en") -> Answer | None:
        """The structured eligibility engine's answer, or None when this is not an eligibility question."""
        path = self.settings.corpus_dir / "eligibility.yaml"
        if not path.is_file():
            return None
        answer = self._eligibility_engine(path).answer(question, reader_role=role, lang=lang)
        if answer is None:
            return None
        paths = self.source_paths()
        cites = tuple(dataclasses.replace(c, source_path=paths.get(c.doc_id, c.source_path)) for c in answer.citations)
        return dataclasses.replace(answer, citations=cites)

    def _eligibility_engine(self, path: Path):
        """The catalogue's engine, with what each reader may see decided by the indexed documents' audiences
        (a sidecar that makes a programme's document staff hides the programme from partners here too)."""
        from assistant.eligibility import default_engine

        return default_engine(path).as_indexed({d: rec.audience for d, rec in self.manifest.docs.items()})

    def _audit(self, answer: Answer, role: str, user: str | None = None) -> None:
        """Append the answer to the audit log (who asked, as what role); the file is its owner's only."""
        path = self.settings.audit_log
        if path is None:
            return
        record = {"time": time.time(), "user": user, "role": role, **answer.to_dict()}
        for c in record["citations"]:
            c.pop("passage", None)
        record.pop("closest_sources", None)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._audit_lock:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as fh:
                    if os.fstat(fd).st_mode & 0o077:  # a log made before this rule, or under a loose umask
                        os.fchmod(fd, 0o600)
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:  # an audit failure must not take answers down
            log.error("cannot write the audit log %s: %s", path, exc)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
