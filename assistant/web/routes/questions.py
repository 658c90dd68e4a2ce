"""``POST /api/ask``, ``POST /api/eligibility`` and ``POST /api/feedback``."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from starlette.concurrency import run_in_threadpool

from assistant import access
from assistant.web.context import AppContext, Caller, answer_json
from assistant.web.models import AnswerOut, AskIn, EligibilityIn, FeedbackIn
from assistant.web.routes.deps import caller_dependency, unavailable_errors


def router(ctx: AppContext) -> APIRouter:
    r = APIRouter()
    require_caller = caller_dependency(ctx)
    unavailable = unavailable_errors()

    @r.post("/api/ask", response_model=AnswerOut, tags=["questions"], summary="Answer a question with cited sources")
    async def ask(body: AskIn, caller: Caller = Depends(require_caller)) -> dict[str, Any]:
        role = body.role or caller.role
        if not access.may_act_as(caller.role, role):
            raise HTTPException(403, f"a {caller.role} caller cannot ask as {role}")
        try:  # wait on the event loop: a waiting caller holds no worker thread
            await asyncio.wait_for(ctx.api_slots.acquire(), ctx.slot_timeout_s)
        except TimeoutError:
            raise HTTPException(503, "the assistant is busy; try again shortly", headers={"Retry-After": "10"}) from None
        history = [t.model_dump() for t in body.history]
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
        return answer_json(answer, ctx.settings.corpus_dir)

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
