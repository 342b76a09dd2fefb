"""What every resolver gets as `info.context`: the container's use cases and query services,
and fresh DataLoaders for this request."""

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

    @functools.cached_property
    def loaders(self) -> Loaders:
        """Made on first use: a compiled read needs none."""
        return Loaders(self.container.queries)

    def forget_reads(self) -> None:
        """After a write, reads load afresh: the loaders cache what they read, and a document
        can hold several mutations, each answering with what it changed."""
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
        return self.container.queries


Info = StrawberryInfo[Context, None]
