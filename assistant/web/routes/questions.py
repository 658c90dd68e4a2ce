"""``POST /api/ask`` (optionally streamed), ``POST /api/ask/stream``, ``POST /api/eligibility`` and ``POST /api/feedback``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant import access
from assistant.web.context import AppContext, Caller, answer_json
from assistant.web.conversations import history_of, turn_of
from assistant.web.models import AnswerOut, AskIn, EligibilityIn, FeedbackIn
from assistant.web.routes.deps import caller_dependency, unavailable_errors


def router(ctx: AppContext) -> APIRouter:
    r = APIRouter()
    require_caller = caller_dependency(ctx)
    unavailable = unavailable_errors()

    def conversation_for(body: AskIn, caller: Caller) -> tuple[str | None, list[dict]]:
        """The conversation this question belongs to and the history to ask with (404 if not the caller's)."""
        history = [t.model_dump() for t in body.history]
        if caller.name is None:  # the public demo keeps conversations in the browser only
            if body.conversation_id:
                raise HTTPException(404, "no such conversation (the public demo keeps none on the server)")
            return None, history
        if body.conversation_id is None:
            return ctx.conversations.create(caller.name, body.question), history
        saved = ctx.conversations.get(body.conversation_id, caller.name)
        if saved is None:
            raise HTTPException(404, "no such conversation")
        return body.conversation_id, history or history_of(saved["turns"])

    def prepare(body: AskIn, caller: Caller) -> str:
        role = body.role or caller.role
        if not access.may_act_as(caller.role, role):
            raise HTTPException(403, f"a {caller.role} caller cannot ask as {role}")
        return role

    async def take_slot() -> None:
        try:  # wait on the event loop: a waiting caller holds no worker thread
            await asyncio.wait_for(ctx.api_slots.acquire(), ctx.slot_timeout_s)
        except TimeoutError:
            raise HTTPException(503, "the assistant is busy; try again shortly", headers={"Retry-After": "10"}) from None

    @r.post("/api/ask", response_model=AnswerOut, tags=["questions"], summary="Answer a question with cited sources",
            description='With `"stream": true` the answer comes as server-sent events, as from `POST /api/ask/stream`.',
            responses={200: {"content": {"text/event-stream": {}}}})
    async def ask(body: AskIn, caller: Caller = Depends(require_caller)):
        if body.stream:
            return await ask_stream(body, caller)
        role = prepare(body, caller)
        cid, history = conversation_for(body, caller)
        await take_slot()
        filters = body.filters.model_dump() if body.filters else None
        try:
            answer = await run_in_threadpool(lambda: ctx.assistant().ask(body.question, history, role, filters,
                                                                         user=caller.name))
        except unavailable as exc:
            raise HTTPException(503, str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        finally:
            ctx.api_slots.release()
        if cid:
            ctx.conversations.append(cid, caller.name, turn_of(answer))
        return {**answer_json(answer, ctx.settings.corpus_dir), "conversation_id": cid}

    @r.post("/api/ask/stream", tags=["questions"], summary="Answer a question as server-sent events",
            description="Events: `searched_for` {query, rewritten}; `draft` {text} while the model writes (the "
            "`local` and `openai` backends; the extractive backend sends none); then `answer` (the verified, cited "
            "answer, as from POST /api/ask) or `error` {detail}. Each event is `event: <type>` and `data: <json>`.",
            responses={200: {"content": {"text/event-stream": {}}}})
    async def ask_stream(body: AskIn, caller: Caller = Depends(require_caller)) -> StreamingResponse:
        role = prepare(body, caller)
        cid, history = conversation_for(body, caller)
        await take_slot()
        filters = body.filters.model_dump() if body.filters else None

        def events():
            try:
                for event in ctx.assistant().stream(body.question, history, role, filters, user=caller.name):
                    if event["type"] == "answer":
                        answer = event["answer"]
                        if cid:
                            ctx.conversations.append(cid, caller.name, turn_of(answer))
                        yield sse("answer", {**answer_json(answer, ctx.settings.corpus_dir), "conversation_id": cid})
                    else:
                        yield sse(event["type"], {k: v for k, v in event.items() if k != "type"})
            except (*unavailable, ValueError) as exc:
                yield sse("error", {"detail": str(exc)})
            finally:
                ctx.api_slots.release()

        return StreamingResponse(iterate_in_threadpool(events()), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @r.post("/api/eligibility", tags=["questions"], summary="Which programmes may an official attend? Verdicts with their clauses")
    def eligibility(body: EligibilityIn, caller: Caller = Depends(require_caller)) -> dict[str, Any]:
        if not (body.country or body.role):
            raise HTTPException(422, "give a country or a role")
        try:
            return ctx.assistant().eligibility(body.country, body.role, body.topic, body.programme, reader_role=caller.role)
        except unavailable as exc:
            raise HTTPException(503, str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc

    @r.post("/api/feedback", tags=["questions"], summary="Thumbs up (+1) or down (-1) on an answer")
    def feedback(body: FeedbackIn, caller: Caller = Depends(require_caller)) -> dict[str, int]:
        citations = [c.model_dump(exclude_unset=True) for c in body.citations]
        fid = ctx.feedback.add(body.question, body.answer, citations, body.rating, body.comment, caller.role,
                               ctx.settings.settings_hash, user=caller.name)
        return {"id": fid}

    return r


def sse(event: str, data: dict[str, Any]) -> str:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
