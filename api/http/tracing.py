"""The span of each HTTP request, continuing the caller's trace (W3C `traceparent`): the
parent of the GraphQL operation's span, which is the parent of the use cases' and the SQL
statements' spans.

Written here rather than taken from opentelemetry-instrumentation-asgi, which records the
full URL with its query string: a GET's `variables` (emails, phone numbers) would be in
every trace. This records the method, the route (a known path; any other is left out, as
the caller wrote it) and the status, the attributes of the HTTP semantic conventions.
"""

from collections.abc import Collection

from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class TracedRequests:
    def __init__(self, app: ASGIApp, tracer: Tracer, routes: Collection[str]) -> None:
        self._app, self._tracer, self._routes = app, tracer, frozenset(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        carrier = {name.decode("latin-1"): value.decode("latin-1")
                   for name, value in scope.get("headers", ())}
        method: str = scope["method"]
        route = scope["path"] if scope["path"] in self._routes else None
        attributes: dict[str, str] = {"http.request.method": method,
                                      "url.scheme": scope.get("scheme", "http"),
                                      "network.protocol.version": scope.get("http_version", "")}
        if route is not None:
            attributes |= {"http.route": route, "url.path": route}
        with self._tracer.start_as_current_span(
            f"{method} {route}" if route else method, context=propagate.extract(carrier),
            kind=SpanKind.SERVER, attributes=attributes, record_exception=True,
        ) as span:

            async def sending(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status: int = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                        span.set_attribute("error.type", str(status))
                await send(message)

            await self._app(scope, receive, sending)
