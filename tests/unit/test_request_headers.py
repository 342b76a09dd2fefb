from starlette.requests import Request

from api.http.headers import headers_of


def _request(*headers: tuple[bytes, bytes]) -> Request:
    return Request({"type": "http", "method": "POST", "headers": list(headers)})


def test_a_header_is_found_by_its_lower_case_name_and_a_missing_one_is_none() -> None:
    headers = headers_of(_request((b"content-type", b"application/json")))

    assert headers.get("content-type") == "application/json"
    assert headers.get("x-api-key") is None


def test_of_a_repeated_header_the_first_counts_as_in_starlette() -> None:
    request = _request((b"x-request-id", b"first"), (b"x-request-id", b"second"))

    assert headers_of(request).get("x-request-id") == request.headers["x-request-id"] == "first"


def test_every_job_of_a_request_shares_one_reading() -> None:
    request = _request((b"accept", b"application/json"))

    assert headers_of(request) is headers_of(Request(request.scope))
