"""Any OpenAI-compatible chat server (Ollama, vLLM, llama.cpp server, LM Studio, OpenAI) by base URL."""

from __future__ import annotations

import json
from collections.abc import Iterator

from assistant.backends.base import BackendError, Draft
from assistant.backends.prompt import DECLINE_TOKEN, chat_messages
from assistant.settings import Settings
from assistant.types import Passage


class OpenAIBackend:
    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _request(self, question: str, passages: list[Passage], stream: bool, lang: str = "en") -> dict:
        s = self.settings
        return {
            "model": s.openai_model,
            "messages": chat_messages(question, passages, lang),
            "max_tokens": s.llm_max_tokens,
            "temperature": 0,
            "stream": stream,
        }

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.openai_api_key}"}

    def _url(self) -> str:
        return self.settings.openai_base_url.rstrip("/") + "/chat/completions"

    def draft(self, question: str, passages: list[Passage], lang: str = "en") -> Draft:
        text = "".join(self.stream(question, passages, lang))
        if DECLINE_TOKEN.lower() in text.lower()[: len(DECLINE_TOKEN) + 20]:
            return Draft("", declined=True, reason="the model found no answer in the passages")
        return Draft(text.strip())

    def stream(self, question: str, passages: list[Passage], lang: str = "en") -> Iterator[str]:
        """Pieces of the model's answer, written in ``lang`` (the reader's language)."""
        import httpx

        try:
            with httpx.Client(timeout=self.settings.llm_timeout_s) as client:
                with client.stream("POST", self._url(), json=self._request(question, passages, True, lang), headers=self._headers()) as resp:
                    if resp.status_code >= 400:
                        resp.read()
                        raise BackendError(f"model server answered {resp.status_code}: {resp.text[:200]}")
                    for line in resp.iter_lines():
                        if not line.startswith("data:"):
                            continue
                        payload = line[5:].strip()
                        if payload == "[DONE]":
                            break
                        try:
                            delta = json.loads(payload)["choices"][0].get("delta", {}).get("content")
                        except (ValueError, KeyError, IndexError):
                            continue
                        if delta:
                            yield delta
        except httpx.HTTPError as exc:
            raise BackendError(
                f"cannot reach the model server at {self.settings.openai_base_url} ({type(exc).__name__}); "
                "check openai_base_url or start the server"
            ) from exc
