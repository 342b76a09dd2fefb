"""New ids: version 7 UUIDs that sort in the order they were made."""

import uuid

from domain.shared.ids import new_id


def test_ids_made_one_after_another_sort_in_that_order_within_a_millisecond() -> None:
    made = [new_id() for _ in range(5_000)]  # thousands of ids in each millisecond
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_an_id_is_a_version_7_uuid_of_the_rfc_variant() -> None:
    made = new_id()
    assert made.version == 7
    assert made.variant == uuid.RFC_4122
