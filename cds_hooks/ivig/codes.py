"""Codes and bindings: a (system, code) pair, and an ordered set of them with its pairs precomputed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    """A (system, code) pair; matching ignores display and text (docs/clinical-logic.md)."""

    system: str
    code: str

    def token(self) -> str:
        """Return the FHIR search token form `system|code`."""
        return f"{self.system}|{self.code}"


@dataclass(frozen=True, init=False)
class Codes:
    """A binding: an ordered set of codes, with its (system, code) pairs precomputed when the rules load."""

    codes: tuple[Code, ...]
    pairs: frozenset[tuple[str, str]]

    def __init__(self, codes: Iterable[Code] = ()) -> None:
        unique = tuple(dict.fromkeys(codes))
        object.__setattr__(self, "codes", unique)
        object.__setattr__(self, "pairs", frozenset((c.system, c.code) for c in unique))

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __bool__(self) -> bool:
        return bool(self.codes)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, Code) and (item.system, item.code) in self.pairs

    def __add__(self, other: Codes) -> Codes:
        return Codes(self.codes + other.codes)

    def first(self) -> Code:
        """Return the first code of the binding (bindings are validated non-empty where this is used)."""
        return self.codes[0]

    def holds_any(self, pairs: Iterable[tuple[str, str]]) -> bool:
        """Return whether any (system, code) of `pairs` is in this binding (the one membership test)."""
        return not self.pairs.isdisjoint(pairs)
