"""How readiness words the read replica's state (infrastructure/postgres/replica.py)."""

import pytest

from infrastructure.postgres.replica import ReplicaState


@pytest.mark.parametrize(("state", "words"), [
    (ReplicaState(in_recovery=True, receiving=True, paused=False, lag_seconds=0.21),
     "ok, 0.2 s behind"),
    (ReplicaState(in_recovery=True, receiving=True, paused=True, lag_seconds=12.0),
     "12.0 s behind, replay paused"),
    (ReplicaState(in_recovery=True, receiving=False, paused=False, lag_seconds=40.5),
     "40.5 s behind, receiving no WAL from the primary"),
    (ReplicaState(in_recovery=True, receiving=True, paused=False, lag_seconds=None),
     "ok, lag unknown, nothing replayed since it started"),
    (ReplicaState(in_recovery=False, receiving=False, paused=False, lag_seconds=None),
     "not a replica: pg_is_in_recovery() is false"),
], ids=["streaming", "paused", "cut-off", "fresh", "promoted"])
def test_readiness_words_the_replica_state_with_its_lag(state: ReplicaState, words: str) -> None:
    assert state.describe() == words
