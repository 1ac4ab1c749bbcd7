"""The HTTP API: a backend in any language sends each turn and gets the decision back."""

from __future__ import annotations

import contextlib
import hmac
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Annotated, Any, Final

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from escalate.engine import Escalator
from escalate.events import library_version
from escalate.exceptions import InvalidInputError
from escalate.handoff import HandoffContext  # noqa: TC001 - FastAPI reads annotations at run time
from escalate.models import Action, Decision, Outcome, PolicyRef, Turn
from escalate.server.docs import DocsAccess, add_api_docs
from escalate.server.ids import check_conversation_id, not_found_detail
from escalate.server.limits import BodyLimit
from escalate.server.metrics import ServiceMetrics
from escalate.server.problems import PROBLEM_JSON, problem, unparsable_body, validation_problem
from escalate.typing import DecisionStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from escalate.state.conversation import ConversationState

__all__ = ["ConversationView", "OutcomeReport", "create_app"]

MAX_CONVERSATION_ID: Final = 512
DEFAULT_MAX_BODY_BYTES: Final = 64 * 1024
"""A turn's text is cut at the policy's ``max_text_chars`` anyway: 64 KB is generous."""
LAST_DECISIONS_KEPT: Final = 100_000
"""Last decisions kept in this process when the engine's store cannot keep them itself."""

ConversationId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_CONVERSATION_ID,
        description="Your conversation id (any string up to 512 characters).",
    ),
]


class OutcomeReport(BaseModel):
    """What happened after a decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Outcome
    note: str | None = None


class ConversationView(BaseModel):
    """What the engine remembers about a conversation, and its last decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    conversation_id: str
    turns: int
    user_turns: int
    handed_off: bool
    last_action: Action
    last_decision: Decision | None
    """Kept in the state store, so any worker sharing it answers the same; ``None`` when the
    store lost it (an outage) or, for a custom store that cannot keep decisions, when another
    process decided the turn."""


class Health(BaseModel):
    """The service is up, with the policy it decides by."""

    status: str
    version: str
    policy: PolicyRef


_PROBLEM: Final[dict[int | str, dict[str, Any]]] = {
    status: {"content": {PROBLEM_JSON: {}}, "description": description}
    for status, description in (
        (400, "A bad conversation id or turn"),
        (401, "A missing or wrong API key"),
        (404, "An unknown conversation"),
        (413, "A request body over the limit"),
        (422, "A request that does not match the schema; each error names its field"),
    )
}


_UNPARSED: Final = "There was an error parsing the body"
"""FastAPI's 400 for a body its JSON parser raised on; the parser's error is its cause."""


def _answer_errors_as_problems(app: FastAPI) -> None:
    """Every 4xx as ``application/problem+json``, naming what is wrong."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        return validation_problem(error.errors(), request.url.path, error.body)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> Response:
        detail = str(error.detail)
        if detail == _UNPARSED and error.__cause__ is not None:
            return unparsable_body(error.__cause__, request.url.path)
        if detail == "Not Found":  # no route: an id with a '/' is the likely cause
            detail = not_found_detail(request.url.path) or detail
        return problem(
            error.status_code,
            detail,
            instance=request.url.path,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(InvalidInputError)
    async def _bad_input(request: Request, error: InvalidInputError) -> Response:
        return problem(400, str(error), instance=request.url.path)


class _ProcessDecisions:
    """Last decisions in this process's memory, for a custom store that cannot keep them."""

    def __init__(self) -> None:
        self._kept: OrderedDict[str, Decision] = OrderedDict()

    async def akeep_decision(self, decision: Decision) -> None:
        self._kept[decision.conversation_id] = decision
        self._kept.move_to_end(decision.conversation_id)
        if len(self._kept) > LAST_DECISIONS_KEPT:
            self._kept.popitem(last=False)

    async def alast_decision(self, conversation_id: str) -> Decision | None:
        return self._kept.get(conversation_id)

    def forget(self, conversation_id: str) -> None:
        self._kept.pop(conversation_id, None)


async def _known(engine: Escalator, conversation_id: str) -> ConversationState:
    """The conversation's state; 404 when the engine knows nothing of it."""
    state = await engine.astate(conversation_id)
    if state is None:
        raise HTTPException(404, f"no conversation {conversation_id!r}")
    return state


def create_app(
    escalator: Escalator | None = None,
    *,
    api_key: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    docs: DocsAccess = DocsAccess.KEY,
) -> FastAPI:
    """The FastAPI app (serve it with uvicorn, or ``escalate serve``).

    Args:
        escalator: the engine (default: ``Escalator()`` with the bundled policy).
        api_key: when set, ``/v1`` requests need ``Authorization: Bearer KEY`` or
            ``X-API-Key: KEY``. ``/healthz`` and ``/metrics`` stay open.
        max_body_bytes: larger request bodies get 413 before they are parsed.
        docs: who may read ``/docs``, ``/redoc`` and ``/openapi.json`` (served offline): as
            ``/v1`` by default, anyone (``open``) or nobody (``off``).
    """
    engine = Escalator() if escalator is None else escalator
    metrics = ServiceMetrics()
    # The store keeps the last decisions when it can (the bundled ones do), so with several
    # workers on Redis every one of them answers the same; a custom store falls back to this
    # process's memory.
    last: DecisionStore = (
        engine.store if isinstance(engine.store, DecisionStore) else _ProcessDecisions()
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        close = getattr(engine.store, "aclose", None)  # a Redis store's connections
        if close is not None:
            await close()

    app = FastAPI(
        title="escalate",
        version=library_version(),
        summary="Decide, turn by turn, when a chatbot should bring in a human.",
        lifespan=lifespan,
        openapi_url=None,  # escalate.server.docs serves these, offline and behind the key
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)

    _answer_errors_as_problems(app)

    def check_key(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> None:
        if api_key is None:
            return
        given = x_api_key
        if given is None and authorization is not None and authorization.startswith("Bearer "):
            given = authorization.removeprefix("Bearer ")
        if given is None or not hmac.compare_digest(given.encode(), api_key.encode()):
            raise HTTPException(
                401, "a valid API key is required", headers={"WWW-Authenticate": "Bearer"}
            )

    add_api_docs(app, docs, keyed=api_key is not None, check_key=check_key)

    v1 = APIRouter(
        prefix="/v1",
        dependencies=[Depends(check_key), Depends(check_conversation_id)],
        responses=_PROBLEM,
    )

    @v1.post("/conversations/{conversation_id}/turns")
    async def decide_turn(conversation_id: ConversationId, turn: Turn) -> Decision:
        """Score one turn (user, bot, agent or system) in its conversation and decide."""
        started = time.perf_counter()
        decision = await engine.aevaluate(conversation_id, turn)
        metrics.observe(decision, time.perf_counter() - started)
        await last.akeep_decision(decision)
        return decision

    @v1.post("/conversations/{conversation_id}/outcomes", status_code=204)
    async def report_outcome(conversation_id: ConversationId, report: OutcomeReport) -> None:
        """Report what happened: an offer declined or accepted, a handoff, a return, the end."""
        await _known(engine, conversation_id)  # 404 for an unknown one, as GET answers
        await engine.arecord_outcome(conversation_id, report.outcome, report.note)
        metrics.outcomes.labels(report.outcome.value).inc()
        if report.outcome is Outcome.ENDED and isinstance(last, _ProcessDecisions):
            last.forget(conversation_id)  # a store forgets them with the conversation

    @v1.get("/conversations/{conversation_id}")
    async def conversation(conversation_id: ConversationId) -> ConversationView:
        """The conversation's counters and its last decision."""
        state = await _known(engine, conversation_id)
        return ConversationView(
            conversation_id=conversation_id,
            turns=state.turns,
            user_turns=state.user_turns,
            handed_off=state.escalation.handed_off,
            last_action=state.escalation.last_action,
            last_decision=await last.alast_decision(conversation_id),
        )

    @v1.get("/conversations/{conversation_id}/handoff")
    async def handoff(conversation_id: ConversationId) -> HandoffContext:
        """What a person taking over needs: goal, reasons, what was tried, last turns."""
        decision = await last.alast_decision(conversation_id)
        if decision is None or await engine.astate(conversation_id) is None:
            raise HTTPException(404, f"no decision for conversation {conversation_id!r}")
        return await engine.ahandoff_context(decision)

    app.include_router(v1)

    @app.get("/healthz")
    async def healthz() -> Health:
        """Liveness and the policy in force."""
        return Health(status="ok", version=library_version(), policy=engine.policy.ref)

    @app.get("/metrics", response_class=Response)
    async def prometheus() -> Response:
        """Prometheus metrics: decisions by action and reason, escalations, outcomes, latency."""
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return app
