"""A report figure as data: a named table that the HTML shows and the CSV export writes unchanged."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """One figure's numbers: a stable name (the CSV file name), a title, column headers and rows."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def column(self, header: str) -> list[Cell]:
        """Return the values of one column."""
        index = self.columns.index(header)
        return [row[index] for row in self.rows]


def build_table(name: str, title: str, columns: tuple[str, ...], rows: Iterable[Sequence[Cell]]) -> Table:
    """Return a Table, checking every row has one value per column."""
    checked = tuple(tuple(row) for row in rows)
    for row in checked:
        if len(row) != len(columns):
            raise ValueError(f"table {name}: row of {len(row)} values for {len(columns)} columns")
    return Table(name, title, columns, checked)


def ratio(part: int, whole: int) -> float | None:
    """Return part/whole rounded to 4 places, None when there is no whole."""
    return round(part / whole, 4) if whole else None
