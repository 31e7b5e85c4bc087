"""A prepared multi-row INSERT for SQLite: Core's executemany, minus its per-row parameter building."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert


# SQLAlchemy Core's executemany builds every row's parameters anew (a dictionary per row, the statement's
# parameter map, then each column type's bind processor), which costs more than SQLite's insert itself.
# PreparedInsert does what that ends with, once: the same SQL text, the same positional tuples, each value
# converted by the processor the dialect gives its column type. Positional (SQLite) only: on PostgreSQL,
# Core batches rows into multi-row statements ("insertmanyvalues"), which is kept.
class PreparedInsert:
    """The INSERT of `columns` into `table` for one dialect, with its bind processors in column order."""

    def __init__(self, table: Table, columns: Sequence[str], dialect: Dialect) -> None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        if compiled.positiontup is None or len(compiled.positiontup) < 2:  # itemgetter of one: no tuple
            raise ValueError(f"{dialect.name}: no positional parameter style, or a single column")
        self.sql = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup)
        self._processors: list[Callable[[Any], Any] | None] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        ]

    def parameters(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """Return the driver's parameter tuples for `rows` (one mapping per row, every column present)."""
        values_of = itemgetter(*self.names)
        converting = [(i, p) for i, p in enumerate(self._processors) if p is not None]
        tuples = []
        for row in rows:
            values = list(values_of(row))
            for index, process in converting:
                values[index] = process(values[index])
            tuples.append(tuple(values))
        return tuples

    def execute(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert `rows` (at least one) in the connection's transaction, as Core would: one executemany."""
        conn.exec_driver_sql(self.sql, self.parameters(rows))
