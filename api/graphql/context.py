"""What every resolver gets as `info.context`: the container's use cases and query services,
and fresh DataLoaders for this request."""

import functools
from dataclasses import dataclass, field

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

    @functools.cached_property
    def use_cases(self) -> UseCases:
        """The use cases, acting as this request's viewer."""
        return self.container.use_cases.acting_as(self.viewer)

    @property
    def queries(self) -> Queries:
        return self.container.queries


Info = StrawberryInfo[Context, None]
