"""SIGTERM, as Kubernetes stops a pod: `rapport serve` stops accepting connections, lets
the requests in flight finish (for up to RAPPORT_SHUTDOWN_TIMEOUT seconds), then its
lifespan closes the pools, and it exits 0."""

import json
import socket
import time

from tests.served import Served, serving

GENEROUS = 60.0  # seconds
QUERY = json.dumps({"query": "{ __typename }"}).encode()


def _begin_request(served: Served) -> socket.socket:
    """A POST whose headers and half its body are sent: in flight, in the app's hands."""
    connection = socket.create_connection(("127.0.0.1", served.port), timeout=GENEROUS)
    connection.sendall(
        b"POST /graphql HTTP/1.1\r\nHost: rapport\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(QUERY)).encode() + b"\r\n\r\n" + QUERY[:5])
    # Once another request is answered, the server has read this one's headers too: both
    # sit on one event loop, and these bytes were there first.
    with socket.create_connection(("127.0.0.1", served.port), timeout=GENEROUS) as other:
        other.sendall(b"GET /healthz HTTP/1.1\r\nHost: rapport\r\nConnection: close\r\n\r\n")
        assert other.recv(100).startswith(b"HTTP/1.1 200")
    return connection


def _refuses_connections(served: Served) -> bool:
    deadline = time.monotonic() + GENEROUS
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", served.port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.05)
    return False


def _answer(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_sigterm_lets_a_request_in_flight_finish_and_refuses_new_connections(
    empty_database_url: str,
) -> None:
    with serving(empty_database_url, RAPPORT_SHUTDOWN_TIMEOUT="60",
                 RAPPORT_LOG_LEVEL="INFO") as served:
        in_flight = _begin_request(served)

        served.terminate()

        assert _refuses_connections(served)
        in_flight.sendall(QUERY[5:])
        answer = _answer(in_flight)
        assert served.process.wait(timeout=GENEROUS) == 0
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body) == {"data": {"__typename": "Query"}}
    assert "Application shutdown complete" in served.output()  # the lifespan closed the pools


def test_sigterm_stops_the_server_after_the_shutdown_timeout_when_a_request_never_ends(
    empty_database_url: str,
) -> None:
    with serving(empty_database_url, RAPPORT_SHUTDOWN_TIMEOUT="1",
                 RAPPORT_LOG_LEVEL="INFO") as served:
        stalled = _begin_request(served)  # the rest of its body never comes

        served.terminate()

        assert served.process.wait(timeout=GENEROUS) == 0
        stalled.close()
    assert "timeout graceful shutdown exceeded" in served.output()
    assert "Application shutdown complete" in served.output()
