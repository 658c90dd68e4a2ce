"""The public development benchmarks (``python -m evals public``) and the learned decline model.

Fast tests use the deterministic hash embedder; the smoke run asks 30 SQuAD 2.0
questions (tests/public_sample/squad2-sample.csv: 16 distinct passages, 10 unanswerable questions,
CC BY-SA 4.0, from the development sample) through the app and the plain
llama-index pipeline (both on the hash embedder, so no transformer is loaded) and checks the
figures against the cases they summarise.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import docfactory as df
import numpy as np
import pytest

from assistant.decline import FEATURES, DeclineModel, features, load_for
from evals.decline_fit import decide, fit, fit_logistic, outcome
from evals.public import number_run, render_table, run_public, set_metrics, write_doc
from evals.public_data import convert_sec, convert_squad_like, sample_cases, split_ids
from evals.suite import SuiteError

DATA = Path(__file__).resolve().parent / "public_sample"
SQUAD_SAMPLE = DATA / "squad2-sample.csv"


@pytest.fixture
def hash_env(monkeypatch, tmp_path):
    monkeypatch.setenv("PA_EMBED_MODEL", "hash")
    monkeypatch.setenv("PA_AUDIT_LOG", "")
    return tmp_path


# ----------------------------------------------------------------------------- conversion
def _write_squad(path: Path, rows: list[tuple[str, str, str, str]], column: str = "paragraph") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([column, "question", "answer"])
        for title, text, q, a in rows:
            w.writerow([repr([{"idx": 0, "title": title, "paragraph_text": text, "is_supporting": False}]), q, a])


def test_squad_like_conversion_writes_each_passage_once(tmp_path):
    src = tmp_path / "in.csv"
    wrapped = repr(["The harbour authority was founded in 1987 by the council."])  # a stringified list, as in SQuAD
    _write_squad(src, [
        ("Harbour", wrapped, "When was the authority founded?", "1987"),
        ("Harbour", wrapped, "When was the authority closed?", "No answer"),
        ("Phare", "Le phare fut restauré en 2005.", "Quand le phare fut-il restauré ?", "'2005'"),
        ("Phare", "Le phare fut restauré en 2005.", "Qui a payé ?", ""),
    ])
    pset = convert_squad_like(src, tmp_path / "out", "squad2")
    docs = sorted(p.name for p in pset.docs.iterdir() if p.suffix == ".md")
    assert len(docs) == 2
    harbour = next(pset.docs.glob("harbour-*.md")).read_text(encoding="utf-8")
    assert harbour.startswith("# Harbour\n\nThe harbour authority was founded in 1987") and "['" not in harbour
    meta = json.loads(next(pset.docs.glob("harbour-*.md.meta.yaml")).read_text(encoding="utf-8"))
    assert meta == {"title": "Harbour", "audience": "public"}
    a, b, c, d = pset.suite.cases
    assert not a.should_decline and a.expected_facts == (("1987",),) and a.expected_sources[0].doc.startswith("harbour-")
    assert b.should_decline and d.should_decline and not b.expected_facts
    assert c.expected_facts == (("2005",),)  # ViQuAD's quotes around the answer are dropped
    again = convert_squad_like(src, tmp_path / "out", "squad2")  # deterministic: same ids, same files
    assert [x.id for x in again.suite.cases] == [x.id for x in pset.suite.cases]
    assert sorted(p.name for p in again.docs.iterdir() if p.suffix == ".md") == docs


def test_squad_like_conversion_rejects_bad_input(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer\nq,a\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="paragraph"):
        convert_squad_like(bad, tmp_path / "out", "x")
    broken = tmp_path / "broken.csv"
    broken.write_text('paragraph,question,answer\n"[{not python",q,a\n', encoding="utf-8")
    with pytest.raises(SuiteError, match="row 1"):
        convert_squad_like(broken, tmp_path / "out2", "x")


def test_sec_conversion_expands_globs_and_tags_question_types(tmp_path):
    folder = tmp_path / "sec-10q"
    (folder / "docs").mkdir(parents=True)
    for name in ("2023 Q1 AMZN.pdf", "2023 Q2 AMZN.pdf", "2023 Q1 MSFT.pdf"):
        (folder / "docs" / name).write_bytes(b"%PDF-1.4\n")
    (folder / "questions.csv").write_text(
        "Question,Source Docs,Question Type,Source Chunk Type,Answer\n"
        "What were AMZN sales in Q1 2023?,*2023 Q1 AMZN*,Single-Doc Single-Chunk RAG,Table,127 billion\n"
        "How did Amazon's sales change across quarters?,*AMZN*,Multi-Doc RAG,Text,They grew.\n",
        encoding="utf-8",
    )
    pset = convert_sec(folder)
    one, many = pset.suite.cases
    assert [s.doc for s in one.expected_sources] == ["2023 Q1 AMZN.pdf"] and "single-doc" in one.tags
    assert [s.doc for s in many.expected_sources] == ["2023 Q1 AMZN.pdf", "2023 Q2 AMZN.pdf"] and "multi-doc" in many.tags
    assert one.reference_answer == "127 billion"
    (folder / "questions.csv").write_text("Question,Source Docs,Question Type,Source Chunk Type,Answer\nq?,*NVDA*,Multi-Doc RAG,Text,a\n")
    with pytest.raises(SuiteError, match="match no PDF"):
        convert_sec(folder)


def test_sampling_and_split_are_seeded_and_keep_passages_together(tmp_path):
    pset = convert_squad_like(SQUAD_SAMPLE, tmp_path / "s", "squad2")
    cases = list(pset.suite.cases)
    sample = sample_cases(cases, 12)
    assert [c.id for c in sample] == [c.id for c in sample_cases(cases, 12)] and len(sample) == 12
    assert any(c.should_decline for c in sample) and any(not c.should_decline for c in sample)
    fit_ids, held = split_ids(cases)
    assert fit_ids and held and not fit_ids & held and len(fit_ids | held) == len(cases)
    passage_of = {c.id: c.notes for c in cases}
    assert not {passage_of[i] for i in fit_ids} & {passage_of[i] for i in held}


# ----------------------------------------------------------------------------- metrics
@pytest.mark.parametrize("text, expected", [
    ("Total net sales $ 82,959 $ 81,434 2 % $ 304,182 [1].", True),
    ("| Nepal | 2013 |", True),
    ("Net sales were $127.4 billion in the first quarter of 2023, up 9% [1].", False),
    ("In 2013, 2014 and 2015 it grew 4 times [1].", False),
])
def test_number_run(text, expected):
    assert number_run(text) is expected


def _result(should_decline, declined, correct, first=1.0, tags=("squad2",), answer="An answer [1]."):
    return {"should_decline": should_decline, "declined": declined, "correct": correct, "tags": list(tags),
            "expected_sources": [] if should_decline else ["a.md"], "answer": "" if declined else answer,
            "metrics": {"doc_mrr": first, "doc_hit_at_k": 1.0 if first else 0.0, "token_f1": 0.5}}


def test_set_metrics_definitions():
    results = [
        _result(False, False, True), _result(False, False, False, first=0.5), _result(False, True, None),
        _result(True, True, None), _result(True, False, False, answer="1 2 3 4 [1]."),
    ]
    m = set_metrics(results)
    assert m["first"] == pytest.approx(2 / 3) and m["top5"] == 1.0
    assert m["correct"] == pytest.approx(1 / 3)          # answered correctly among answerable
    assert m["answered_precision"] == pytest.approx(1 / 3)  # correct among the three answered
    assert m["coverage"] == pytest.approx(2 / 3) and m["decline_recall"] == 0.5
    assert m["decline_precision"] == 0.5 and m["balanced_accuracy"] == pytest.approx((2 / 3 + 0.5) / 2)
    assert m["number_runs"] == pytest.approx(1 / 3)


def test_write_doc_replaces_only_its_section(tmp_path):
    doc = tmp_path / "evaluation.md"
    doc.write_text("# Evaluation\n\nhand-written intro\n", encoding="utf-8")
    write_doc(doc, "<!-- public-eval:start -->\nfirst\n<!-- public-eval:end -->")
    write_doc(doc, "<!-- public-eval:start -->\nsecond\n<!-- public-eval:end -->")
    text = doc.read_text(encoding="utf-8")
    assert "hand-written intro" in text and "second" in text and "first" not in text and text.count("public-eval:start") == 1


# ----------------------------------------------------------------------------- the decline model
def test_logistic_fit_separates_and_model_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, len(FEATURES)))
    y = (X[:, 0] - 0.5 * X[:, 3] + 0.3 * rng.normal(size=400) > 0).astype(float)
    mean, scale, w, b = fit_logistic(X, y)
    assert w[0] > 1.0 and w[3] < -0.3 and abs(w[5]) < 0.5
    model = DeclineModel(FEATURES, mean.tolist(), scale.tolist(), w.tolist(), b, 0.5, 0.0, "hash")
    acc = np.mean([(model.probability(dict(zip(FEATURES, x))) >= 0.5) == bool(t) for x, t in zip(X, y)])
    assert acc > 0.9
    path = tmp_path / "m.json"
    model.save(path)
    again = DeclineModel.load(path)
    x = dict(zip(FEATURES, X[0]))
    assert math.isclose(again.probability(x), model.probability(x), rel_tol=1e-4)
    bad = json.loads(path.read_text()) | {"scale": [0.0] * len(FEATURES)}
    with pytest.raises(ValueError, match="scale"):
        DeclineModel.from_data(bad)
    with pytest.raises(ValueError, match="unknown feature"):
        DeclineModel.from_data(json.loads(path.read_text()) | {"features": ["nope"] * len(FEATURES)})


def test_fit_chooses_a_threshold_and_decide_follows_the_draft():
    rows = []
    for i in range(60):
        good = i % 2 == 0
        feats = dict.fromkeys(FEATURES, 0.0) | {"best_sim": 0.8 if good else 0.3, "passage_missing": 0.0 if good else 0.5}
        rows.append({"id": str(i), "should_decline": not good and i % 4 == 1, "draft_declined": False, "correct": good, "features": feats})
    rows.append({"id": "x", "should_decline": True, "draft_declined": True, "correct": False, "features": None})
    model = fit(rows, "hash")
    answered = decide(rows, model)
    assert answered[-1] is False  # the draft's own decline stands
    assert all(a == r["correct"] for a, r in zip(answered[:-1], rows[:-1]))
    result = outcome(rows, answered)
    assert result["answered_precision"] == 1.0 and result["decline_recall"] == 1.0
    model.draft_min_score = 0.5  # the answer step's own threshold stays in force: best_score 0 is declined
    assert not any(decide(rows, model))
    with pytest.raises(ValueError, match="cannot fit"):
        fit(rows[:5], "hash")


def test_threshold_spares_the_answers_of_a_suite_whose_drafts_are_mostly_right():
    from evals.decline_fit import choose_threshold

    def row(suite, i, p, should_decline, correct):
        return {"id": f"{suite}{i}", "suite": suite, "should_decline": should_decline, "draft_declined": False,
                "correct": correct, "features": dict.fromkeys(FEATURES, 0.0) | {"best_sim": p}}

    # a hard set: unanswerable questions get probabilities 0.3-0.6, answerable ones 0.5-0.9
    hard = [row("hard", i, 0.3 + 0.01 * i, True, False) for i in range(30)]
    hard += [row("hard", 100 + i, 0.5 + 0.0133 * i, False, i % 2 == 0) for i in range(30)]
    # a set whose drafts are right: two of its 40 answerable questions get low probabilities (5% of its answers)
    good = [row("good", i, 0.9 if i >= 2 else 0.40 + 0.01 * i, False, True) for i in range(40)]
    model = DeclineModel(("best_sim",), [0.0], [1.0], [1.0], 0.0, 0.5, 0.0, "hash")
    model.probability = lambda values: values["best_sim"]  # type: ignore[method-assign]
    t = choose_threshold(hard + good, model)
    # the hard set's gain outweighs 5% of the good set's answers in the mean merit, but the good set may lose
    # at most 2% of its answers
    assert t <= 0.40 + 1e-9
    assert outcome(good, decide(good, model, t))["coverage"] == 1.0
    t_alone = choose_threshold(hard, model)
    assert t_alone > 0.5 and outcome(hard, decide(hard, model, t_alone))["balanced_accuracy"] > 0.8


def test_features_are_bounded_and_scale_free_where_they_should_be():
    from assistant.types import Passage

    p1 = Passage("c1", "a.md", "Harbour", "The harbour authority was founded in 1987 by the council.", None, "", "document", "public",
                 2 / 61, ranks={"dense": 1, "keyword": 1})
    p2 = Passage("c2", "b.md", "Lighthouse", "The lighthouse was restored in 2005.", None, "", "document", "public", 1 / 62,
                 ranks={"dense": 2})
    scored = [(0.7, "The harbour authority was founded in 1987 by the council.", 1), (0.4, "The lighthouse was restored in 2005.", 2)]
    f = features("When was the harbour authority founded?", [p1, p2], scored, [0.9, 0.5], 60)
    assert set(f) == set(FEATURES)
    assert f["fused_top"] == pytest.approx(1.0) and f["dense_top"] == 1.0 and f["keyword_top"] == 1.0
    assert f["slots_required"] == 1.0 and f["slots_present"] == 1.0 and f["best_in_top"] == 1.0
    assert f["sim_margin"] == pytest.approx(0.2) and f["passage_missing"] == 0.0 and f["doc_spread"] == 1.0
    shifted = features("When was the harbour authority founded?", [p1, p2], scored, [0.99, 0.59], 60)
    assert shifted["sim_margin"] == pytest.approx(f["sim_margin"])  # a higher-running encoder: same margin
    empty = features("When was it founded?", [], [], [], 60)
    assert all(v == 0.0 for k, v in empty.items() if k != "question_terms")


# ----------------------------------------------------------------------------- the hook in the assistant
def _model_file(path: Path, bias: float, encoder: str = "hash") -> Path:
    n = len(FEATURES)
    DeclineModel(FEATURES, [0.0] * n, [1.0] * n, [0.0] * n, bias, 0.5, 0.0, encoder).save(path)
    return path


def test_assistant_declines_when_the_model_says_so_and_falls_back_otherwise(hash_env, caplog):
    from assistant.service import Assistant
    from evals.runner import docs_index, make_settings

    docs = hash_env / "docs"
    df.make_markdown(docs / "harbour.md", [("Harbour authority", "The Zephyr Harbour Authority was founded in 1987 by the city "
                                            "council of Port Alder. It manages the three breakwaters and the pilot boats.")])
    settings, _ = docs_index(docs, make_settings(), hash_env / "cache", lambda m: None)
    question = "When was the Zephyr Harbour Authority founded?"
    plain = Assistant(settings.model_copy(update={"decline_model": None, "answer_min_score": 0.0})).ask(question)
    assert not plain.declined

    no = Assistant(settings.model_copy(update={"decline_model": _model_file(hash_env / "no.json", -10.0)})).ask(question)
    assert no.declined and any("answer confidence 0.00 < 0.50" in n for n in no.notices) and "decline_ms" in no.timings

    yes = Assistant(settings.model_copy(update={"decline_model": _model_file(hash_env / "yes.json", 10.0)})).ask(question)
    assert not yes.declined and yes.text == plain.text

    other = settings.model_copy(update={"decline_model": _model_file(hash_env / "other.json", -10.0, encoder="some-other-encoder")})
    assert load_for(other) is None and "fitted with encoder 'some-other-encoder'" in caplog.text
    assert Assistant(other).decline_model is None
    missing = settings.model_copy(update={"decline_model": None})
    assert load_for(missing) is None


def test_packaged_model_loads_for_the_packaged_encoder():
    from assistant.settings import PACKAGED_DECLINE_MODEL, Settings

    model = DeclineModel.load(PACKAGED_DECLINE_MODEL)
    assert model.encoder == Settings().embed_model and 0.0 < model.threshold < 1.0
    assert model.features == FEATURES and model.info.get("held_out")


# ----------------------------------------------------------------------------- smoke: 30 SQuAD questions end to end
def _hash_llama_embedding():
    """A llama-index embedding over the app's deterministic hash embedder: the plain pipeline's own code
    (VectorStoreIndex over Chroma, its retriever, its cosine threshold) without loading a transformer."""
    from llama_index.core.embeddings import BaseEmbedding

    from assistant.embedding import HashEmbedder

    hasher = HashEmbedder(256)

    class HashEmbedding(BaseEmbedding):
        def _vec(self, text: str) -> list[float]:
            return [float(x) for x in hasher.embed([text])[0]]

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._vec(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._vec(text)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._vec(query)

    return HashEmbedding(embed_batch_size=64)


def test_public_smoke_run_produces_every_figure(hash_env, monkeypatch):
    """The whole ``python -m evals public`` path on 30 SQuAD 2.0 questions, both pipelines on the hash embedder
    (the real encoders are exercised by ``make eval-public``); the figures are checked against the cases."""
    import sys
    import types

    from benchmarks import baseline
    from evals.public import PublicOptions

    monkeypatch.setattr(baseline, "embed_model", lambda batch_size=64: _hash_llama_embedding())
    if "llama_index.embeddings.huggingface" not in sys.modules:  # run_baseline checks it is installed; not used here
        monkeypatch.setitem(sys.modules, "llama_index.embeddings.huggingface", types.ModuleType("llama_index.embeddings.huggingface"))
    data = hash_env / "data"
    (data / "squad2").mkdir(parents=True)
    (data / "squad2" / "squad2-1000.csv").write_bytes(SQUAD_SAMPLE.read_bytes())
    doc = hash_env / "evaluation.md"
    out = run_public(PublicOptions(data=data, index_cache=hash_env / "idx", sets=["squad2"], out=hash_env / "run",
                                   doc=doc, progress=False), log=lambda m: None)
    entry = out["sets"]["squad2"]
    passages = len(list((hash_env / "idx").parent.glob("public-sets/squad2/docs/*.md")))
    assert entry["questions"] == 30 and entry["documents"] == passages == 16  # 20 passage cells, 16 distinct texts
    ours, cases = entry["ours"], entry["cases"]
    assert len(cases) == 30 and sum(c["should_decline"] for c in cases) == 10
    assert ours == set_metrics(cases)  # the table's figures are the cases' figures
    answerable = [c for c in cases if not c["should_decline"]]
    assert ours["first"] == pytest.approx(sum(c["metrics"]["doc_mrr"] == 1.0 for c in answerable) / 20)
    # keyword search finds the passage of nearly every answerable question, even on hash vectors
    assert ours["first"] >= 0.7 and ours["top5"] >= ours["first"]
    assert 0.3 <= ours["correct"] <= ours["coverage"] and ours["number_runs"] == 0.0
    assert all(c["answer"] for c in cases if not c["declined"]) and any(c["declined"] for c in cases)
    base = entry["baseline"]
    assert "error" not in base, base.get("error")
    rows = base["rows"]
    assert len(rows) == 30 and base["threshold"] is not None
    assert base["all"]["first"] == pytest.approx(sum(r["first"] for r in rows if not r["should_decline"]) / 20)
    assert base["all"]["top5"] >= base["all"]["first"] > 0.3  # the plain dense pipeline finds passages too
    text = doc.read_text(encoding="utf-8")
    assert "| squad2 | ours | 30 |" in text and "plain llama-index (dense)" in text and "on these same questions" in text
    assert (hash_env / "run" / "results.json").is_file() and "ours, held-out part" in render_table(out)


def test_calibrate_fit_writes_a_model_the_app_then_uses(hash_env, capsys):
    from evals.__main__ import main

    pset = convert_squad_like(SQUAD_SAMPLE, hash_env / "conv", "squad2")
    out = hash_env / "mine.json"
    code = main(["calibrate", str(hash_env / "conv" / "squad2.jsonl"), "--docs", str(pset.docs), "--cache-dir",
                 str(hash_env / "idx"), "--fit", "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0 and "threshold  answered" in printed and f"PA_DECLINE_MODEL={out}" in printed
    model = DeclineModel.load(out)
    assert model.encoder == "hash" and model.features == FEATURES and model.info["cases"] == 30
    from evals.runner import docs_index, make_settings

    settings, _ = docs_index(pset.docs, make_settings(), hash_env / "idx", lambda m: None)
    assert load_for(settings.model_copy(update={"decline_model": out})) is not None


def test_cached_docs_index_is_updated_when_the_loaders_change(hash_env):
    from evals.runner import docs_index, make_settings
    from ingest.loaders import PARSER_VERSION

    docs = hash_env / "docs"
    df.make_markdown(docs / "a.md", [("Harbour", "The harbour authority was founded in 1987 by the city council.")])
    settings, info = docs_index(docs, make_settings(), hash_env / "cache", lambda m: None)
    marker = Path(info["index_dir"]) / ".eval-index.json"
    assert json.loads(marker.read_text())["parser"] == PARSER_VERSION
    assert docs_index(docs, make_settings(), hash_env / "cache", lambda m: None)[1]["reused"]
    marker.write_text(json.dumps(json.loads(marker.read_text()) | {"parser": PARSER_VERSION - 1}))
    logs: list[str] = []
    again, info2 = docs_index(docs, make_settings(), hash_env / "cache", logs.append)
    assert not info2["reused"] and again.index_dir == settings.index_dir and "loaders changed" in logs[0]
    assert json.loads(marker.read_text())["parser"] == PARSER_VERSION


def test_plain_baseline_skips_a_file_its_readers_cannot_open(tmp_path):
    from benchmarks.baseline import load_documents

    (tmp_path / "good.md").write_text("# Harbour\n\nThe harbour authority was founded in 1987.\n", encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a PDF at all")
    skipped: list[str] = []
    docs = load_documents(tmp_path, skipped)
    assert [d.metadata["file_name"] for d in docs] == ["good.md"]
    assert len(skipped) == 1 and skipped[0].startswith("broken.pdf: ")
