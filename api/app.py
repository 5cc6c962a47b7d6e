"""The ASGI application: GraphQL (HTTP and WebSocket), the OAuth callback, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from api import tracing
from api.context import Context
from api.health import healthz, readyz
from api.inbound_routes import ROUTES as INBOUND_ROUTES
from api.metrics import metrics_endpoint
from api.oauth_routes import oauth_callback
from api.observability import RequestObservability
from api.schema import schema
from api.shutdown import OpenWebSockets, TrackWebSockets
from models import settings as config
from models.errors import Unauthenticated
from models.settings import Settings
from workers import runtime
from workers.main import InProcessWorker


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        return Context(request=request, response=response, settings=self.settings)

    async def on_ws_connect(self, context: Context) -> None:
        try:
            await context.actor()
        except Unauthenticated as exc:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": exc.message}
            ) from exc


def create_app(settings: Settings | None = None, *, run_worker: bool = False) -> Starlette:
    """The API; `run_worker` also runs an arq worker in this process (`connectors dev`)."""
    settings = settings or config.current()
    websockets = OpenWebSockets()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.runtime = await runtime.startup(settings)
        worker = InProcessWorker(settings, app.state.runtime) if run_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            # Subscriptions first, with a reason, while their event bus still works.
            await websockets.close_all()
            await runtime.shutdown(app.state.runtime)
            tracing.flush()

    graphql = GraphQLApp(settings)
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/oauth/callback", oauth_callback),
        *INBOUND_ROUTES,
        WebSocketRoute("/graphql", graphql),
    ]
    middleware = [
        *tracing.middleware(settings),
        Middleware(RequestObservability),
        Middleware(TrackWebSockets, sockets=websockets),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.websockets = websockets
    return app
