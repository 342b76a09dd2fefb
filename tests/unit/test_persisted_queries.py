"""Persisted queries without HTTP: the manifest formats, the hash a request names, and
which text a request runs (infrastructure/persisted_queries.py)."""

import hashlib
from typing import Any

import pytest

from infrastructure.persisted_queries import (
    PersistedQueries,
    PersistedQueryError,
    PersistedQueryNotFound,
    parse_manifest,
    requested_hash,
)

COUNT = "{ customers { totalCount } }"
STORES = "{ stores { id } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(text)}}


def refusal_code(call: Any) -> str | None:
    with pytest.raises(PersistedQueryError) as refused:
        call()
    return refused.value.code


def test_a_relay_manifest_maps_each_hash_to_its_text() -> None:
    assert parse_manifest({sha256(COUNT): COUNT}) == {sha256(COUNT): COUNT}


def test_an_apollo_manifest_maps_each_operation_id_to_its_body() -> None:
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": sha256(COUNT), "body": COUNT, "name": "Count", "type": "query"}]}

    assert parse_manifest(manifest) == {sha256(COUNT): COUNT}


def test_manifest_hashes_are_read_in_any_case() -> None:
    assert parse_manifest({sha256(COUNT).upper(): COUNT}) == {sha256(COUNT): COUNT}


def test_a_manifest_entry_whose_hash_is_not_its_text_is_refused() -> None:
    with pytest.raises(ValueError, match="not the sha256"):
        parse_manifest({sha256(COUNT): STORES})


@pytest.mark.parametrize("manifest", [[COUNT], {"format": "apollo-persisted-query-manifest"},
                                      {sha256(COUNT): 1}])
def test_a_manifest_of_another_shape_is_refused(manifest: Any) -> None:
    with pytest.raises(ValueError, match=r"manifest|must be strings"):
        parse_manifest(manifest)


def test_no_extension_and_no_document_id_name_no_hash() -> None:
    assert requested_hash(None, None) is None
    assert requested_hash({"tracing": True}, None) is None


def test_a_document_id_may_carry_the_sha256_prefix() -> None:
    assert requested_hash(None, f"sha256:{sha256(COUNT)}") == sha256(COUNT)
    assert requested_hash(None, sha256(COUNT)) == sha256(COUNT)


def test_a_hash_that_is_not_sha256_hex_is_refused() -> None:
    assert refusal_code(lambda: requested_hash({"persistedQuery": {
        "version": 1, "sha256Hash": "abc"}}, None)) == "BAD_REQUEST"


def test_an_apq_version_other_than_1_is_not_supported() -> None:
    code = refusal_code(lambda: requested_hash(apq(COUNT, version=2), None))

    assert code == "PERSISTED_QUERY_NOT_SUPPORTED"


def test_a_query_without_hash_runs_as_written() -> None:
    assert PersistedQueries().query_of(STORES) == STORES


def test_no_query_and_no_hash_is_refused_as_before() -> None:
    with pytest.raises(PersistedQueryError, match="a query string is required"):
        PersistedQueries().query_of("  ")


def test_an_allow_listed_hash_runs_its_text() -> None:
    persisted = PersistedQueries({sha256(COUNT): COUNT})

    assert persisted.query_of(None, apq(COUNT)) == COUNT


def test_an_unknown_hash_is_not_found_so_that_the_client_sends_its_text() -> None:
    with pytest.raises(PersistedQueryNotFound) as refused:
        PersistedQueries().query_of(None, apq(COUNT))

    assert refused.value.code == "PERSISTED_QUERY_NOT_FOUND"


def test_a_registered_query_runs_by_hash_afterwards() -> None:
    persisted = PersistedQueries()
    persisted.query_of(STORES, apq(STORES))

    assert persisted.query_of(None, apq(STORES)) == STORES


def test_the_least_recently_used_registration_is_forgotten_first() -> None:
    persisted = PersistedQueries(cache_size=1)
    persisted.query_of(STORES, apq(STORES))
    persisted.query_of(COUNT, apq(COUNT))

    assert persisted.query_of(None, apq(COUNT)) == COUNT
    assert refusal_code(lambda: persisted.query_of(None, apq(STORES))) == (
        "PERSISTED_QUERY_NOT_FOUND")


def test_a_query_with_another_querys_hash_is_refused() -> None:
    code = refusal_code(lambda: PersistedQueries().query_of(STORES, apq(COUNT)))

    assert code == "PERSISTED_QUERY_HASH_MISMATCH"


def test_persisted_only_refuses_text_outside_the_allow_list() -> None:
    persisted = PersistedQueries({sha256(COUNT): COUNT}, only_persisted=True)

    assert refusal_code(lambda: persisted.query_of(STORES)) == "PERSISTED_QUERY_REQUIRED"
    assert persisted.query_of(COUNT) == COUNT


def test_persisted_only_refuses_registrations() -> None:
    persisted = PersistedQueries({sha256(COUNT): COUNT}, only_persisted=True)

    code = refusal_code(lambda: persisted.query_of(STORES, apq(STORES)))

    assert code == "PERSISTED_QUERY_REQUIRED"
