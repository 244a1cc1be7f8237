"""Records every engine shares: the ``Assumption`` an output explains itself with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from computecap.catalog.values import Source


@dataclass(frozen=True)
class Assumption:
    """An input of a result, how it enters (formula), where it comes from, and who set it."""

    name: str
    value: str
    formula: str = ""
    sources: tuple[Source, ...] = ()
    note: str = ""
    user_override: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "value": self.value}
        if self.formula:
            d["formula"] = self.formula
        if self.note:
            d["note"] = self.note
        if self.user_override:
            d["user_override"] = True
        d["sources"] = [s.to_dict() for s in self.sources]
        return d
