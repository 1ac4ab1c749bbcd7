"""The HTTP API: a backend in any language sends each turn and gets the decision back."""

from __future__ import annotations

import contextlib
import hmac
import inspect
import time
from typing import TYPE_CHECKING, Annotated, Any, Final

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from escalate.audit import Redactor, redact_decision
from escalate.engine import Escalator
from escalate.events import library_version
from escalate.exceptions import InvalidInputError
from escalate.handoff import HandoffContext  # noqa: TC001 - FastAPI reads annotations at run time
from escalate.models import Action, Decision, Outcome, PolicyRef, Turn
from escalate.server._docs import DocsAccess, add_api_docs
from escalate.server._ids import check_conversation_id, not_found_detail
from escalate.server._limits import BodyLimit
from escalate.server._metrics import ServiceMetrics
from escalate.server._problems import PROBLEM_JSON, problem, unparsable_body, validation_problem
from escalate.server._recent import DEFAULT_MAX_BYTES, DEFAULT_MAX_DECISIONS, LastDecisions
from escalate.typing import DecisionStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from escalate.state import ConversationState

__all__ = [
    "DEFAULT_BODY_TIMEOUT_SECONDS",
    "DEFAULT_MAX_BODY_BYTES",
    "ConversationView",
    "OutcomeReport",
    "create_app",
]

MAX_CONVERSATION_ID: Final = 512
DEFAULT_MAX_BODY_BYTES: Final = 64 * 1024
"""A turn's text is cut at the policy's ``max_text_chars`` anyway: 64 KB is generous."""
DEFAULT_BODY_TIMEOUT_SECONDS: Final = 10.0
"""A 64 KB body arrives in well under a second on any working link."""

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


async def _known(engine: Escalator, conversation_id: str) -> ConversationState:
    """The conversation's state; 404 when the engine knows nothing of it."""
    state = await engine.astate(conversation_id)
    if state is None:
        raise HTTPException(404, f"no conversation {conversation_id!r}")
    return state


def _keeper(last: DecisionStore) -> Callable[[Decision, bytes], Awaitable[None]]:
    """How the turn endpoint keeps a decision: with the JSON it answers, if the store takes it.

    Serialising a decision costs about as much as the rest of the endpoint's own work: a store
    whose ``akeep_decision`` takes ``encoded`` stores the response's bytes as they are.
    """
    if "encoded" in inspect.signature(last.akeep_decision).parameters:

        async def keep_encoded(decision: Decision, body: bytes) -> None:
            await last.akeep_decision(decision, encoded=body)  # type: ignore[call-arg]

        return keep_encoded

    async def keep(decision: Decision, body: bytes) -> None:
        await last.akeep_decision(decision)

    return keep


def _key_check(api_key: str | None) -> Callable[..., Awaitable[None]]:
    """The dependency that asks ``/v1`` requests for the key (no check without one)."""

    # async: FastAPI would run a plain function in its thread pool, a thread hop per request.
    async def check_key(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> None:
        if api_key is None:
            return
        given = x_api_key
        if given is None and authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() == "bearer":  # RFC 9110 11.1: the scheme is case-insensitive
                given = token.strip(" ")
        if given is None or not hmac.compare_digest(given.encode(), api_key.encode()):
            raise HTTPException(
                401, "a valid API key is required", headers={"WWW-Authenticate": "Bearer"}
            )

    return check_key


def create_app(
    escalator: Escalator | None = None,
    *,
    api_key: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    docs: DocsAccess = DocsAccess.KEY,
    body_timeout: float | None = DEFAULT_BODY_TIMEOUT_SECONDS,
    max_decisions_kept: int = DEFAULT_MAX_DECISIONS,
    max_decision_bytes_kept: int = DEFAULT_MAX_BYTES,
) -> FastAPI:
    """The FastAPI app (serve it with uvicorn, or ``escalate serve``).

    Args:
        escalator: the engine (default: ``Escalator()`` with the bundled policy).
        api_key: when set, ``/v1`` requests need ``Authorization: Bearer KEY`` or
            ``X-API-Key: KEY``. ``/healthz`` and ``/metrics`` stay open.
        max_body_bytes: larger request bodies get 413 before they are parsed.
        docs: who may read ``/docs``, ``/redoc`` and ``/openapi.json`` (served offline): as
            ``/v1`` by default, anyone (``open``) or nobody (``off``).
        body_timeout: seconds to wait for each piece of a request body before answering 408
            (``None``: wait for ever).
        max_decisions_kept: with a store that cannot keep last decisions itself, the
            conversations whose last decision ``GET`` can show in this process (the least
            recently decided are forgotten first).
        max_decision_bytes_kept: the same bound in bytes of decision JSON (default 64 MiB).

    On shutdown the app closes the engine's audit trail (writing what is queued) and its
    store's connections.

    Evidence quotes in responses are redacted as in the audit trail (the trail's redactor,
    or ``Redactor()``), so a reply the bot repeated is never echoed with a customer's data.
    """
    if api_key is not None and not api_key.strip():
        # An empty key would let every request through: refuse it rather than guess.
        raise InvalidInputError(
            "api_key is empty: give a non-empty key, or None to serve without one"
        )
    engine = Escalator() if escalator is None else escalator
    metrics = ServiceMetrics()
    # The store keeps the last decisions when it can (the bundled ones do), so with several
    # workers on Redis every one of them answers the same; a custom store falls back to this
    # process's memory, bounded in bytes.
    last: DecisionStore = (
        engine.store
        if isinstance(engine.store, DecisionStore)
        else LastDecisions(max_decisions=max_decisions_kept, max_bytes=max_decision_bytes_kept)
    )
    app = FastAPI(
        title="escalate",
        version=library_version(),
        summary="Decide, turn by turn, when a chatbot should bring in a human.",
        lifespan=_lifespan(engine),
        openapi_url=None,  # escalate.server._docs serves these, offline and behind the key
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, timeout=body_timeout)

    _answer_errors_as_problems(app)

    check_key = _key_check(api_key)
    add_api_docs(app, docs, keyed=api_key is not None, check_key=check_key)
    app.include_router(_conversations_router(engine, metrics, last, check_key))
    _add_open_routes(app, engine, metrics)
    return app


def _lifespan(
    engine: Escalator,
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        # uvicorn runs this after the requests in flight are answered, and then re-raises
        # SIGTERM/SIGINT, which ends the process before any code after uvicorn.run: the trail
        # is drained and closed here, or its queued records are lost.
        if engine.audit is not None:
            await engine.audit.aclose()
        close = getattr(engine.store, "aclose", None)  # a Redis store's connections
        if close is not None:
            await close()

    return lifespan


def _conversations_router(
    engine: Escalator,
    metrics: ServiceMetrics,
    last: DecisionStore,
    check_key: Callable[..., Awaitable[None]],
) -> APIRouter:
    """The ``/v1`` routes: turns, outcomes, a conversation's state and its handoff context."""
    keep = _keeper(last)
    redactor = engine.audit.redactor if engine.audit is not None else Redactor()
    v1 = APIRouter(
        prefix="/v1",
        dependencies=[Depends(check_key), Depends(check_conversation_id)],
        responses=_PROBLEM,
    )

    @v1.post("/conversations/{conversation_id}/turns", response_model=Decision)
    async def decide_turn(conversation_id: ConversationId, turn: Turn) -> Response:
        """Score one turn (user, bot, agent or system) in its conversation and decide."""
        started = time.perf_counter()
        decision = await engine.aevaluate(conversation_id, turn)
        metrics.observe(decision, time.perf_counter() - started)
        shown = redact_decision(decision, redactor)
        body = shown.model_dump_json().encode()
        await keep(shown, body)
        return Response(body, media_type="application/json")

    @v1.post("/conversations/{conversation_id}/outcomes", status_code=204)
    async def report_outcome(conversation_id: ConversationId, report: OutcomeReport) -> None:
        """Report what happened: an offer declined or accepted, a handoff, a return, the end."""
        await _known(engine, conversation_id)  # 404 for an unknown one, as GET answers
        await engine.arecord_outcome(conversation_id, report.outcome, report.note)
        metrics.outcomes.labels(report.outcome.value).inc()
        if report.outcome is Outcome.ENDED and isinstance(last, LastDecisions):
            last.pop(conversation_id)  # a store forgets them with the conversation

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

    return v1


def _add_open_routes(app: FastAPI, engine: Escalator, metrics: ServiceMetrics) -> None:
    """``/healthz`` and ``/metrics``: open, whatever the API key."""

    @app.get("/healthz")
    async def healthz() -> Health:
        """Liveness and the policy in force."""
        return Health(status="ok", version=library_version(), policy=engine.policy.ref)

    @app.get("/metrics", response_class=Response)
    async def prometheus() -> Response:
        """Prometheus metrics: decisions by action and reason, escalations, outcomes, latency."""
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
