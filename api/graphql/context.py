"""What every resolver gets as `info.context`: the container's use cases and query services,
and fresh DataLoaders for this request."""

from dataclasses import dataclass, field

from strawberry.types import Info as StrawberryInfo

from api.graphql.loaders import Loaders
from domain.shared.access import Viewer
from infrastructure.bootstrap import Container, Queries, UseCases


@dataclass
class Context:
    container: Container
    viewer: Viewer = field(default_factory=Viewer.trusted)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.container.queries)

    @property
    def use_cases(self) -> UseCases:
        return self.container.use_cases

    @property
    def queries(self) -> Queries:
        return self.container.queries


Info = StrawberryInfo[Context, None]
