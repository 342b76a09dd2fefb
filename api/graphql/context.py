"""What every resolver gets as `info.context`: the container's use cases and query services,
and fresh DataLoaders for this request.

Reads go to the read side (a replica, when one is configured) until the request writes;
from then on to the primary, so that a mutation's payload and whatever the request reads
after it include the write, however far the replica lags."""

import functools
from dataclasses import dataclass, field
from datetime import datetime

from strawberry.types import Info as StrawberryInfo

from api.graphql.loaders import Loaders
from domain.shared.access import Viewer
from infrastructure.bootstrap import Container, Queries, UseCases


@dataclass
class Context:
    container: Container
    viewer: Viewer = field(default_factory=Viewer.trusted)
    wrote: bool = False

    @functools.cached_property
    def loaders(self) -> Loaders:
        """Made on first use: a compiled read needs none."""
        return Loaders(self.queries)

    def forget_reads(self) -> None:
        """After a write, reads load afresh, from the primary: the loaders cache what they
        read, a document can hold several mutations, each answering with what it changed,
        and a replica may not have replayed the write yet."""
        self.wrote = True
        self.__dict__.pop("loaders", None)

    @functools.cached_property
    def use_cases(self) -> UseCases:
        """The use cases, acting as this request's viewer."""
        return self.container.use_cases.acting_as(self.viewer)

    @functools.cached_property
    def now(self) -> datetime:
        """One instant per request: every member's standing in an answer is read as of the
        same time, so their reads batch into one statement."""
        return self.container.clock.now()

    @property
    def queries(self) -> Queries:
        """The read side until this request writes, the primary after."""
        return self.container.primary_queries if self.wrote else self.container.queries


Info = StrawberryInfo[Context, None]
