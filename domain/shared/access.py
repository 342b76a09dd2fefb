"""Who is asking, as far as reads need to know: the scopes of data they may see.

Fields can require a scope (personal data, say); a viewer without it gets the field masked,
on every execution path. Until callers authenticate (issue #5), every caller is trusted.
"""

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    PERSONAL_DATA = "personal_data"  # email, phone, address, birth date


@dataclass(frozen=True)
class Viewer:
    scopes: frozenset[str]

    @classmethod
    def trusted(cls) -> "Viewer":
        return _TRUSTED

    def may_see(self, scope: str) -> bool:
        return scope in self.scopes


_TRUSTED = Viewer(frozenset(Scope))


@dataclass(frozen=True)
class Restricted:
    """A value only viewers with `scope` may see; the others get `masked` instead."""

    scope: Scope
    masked: str | None = None
