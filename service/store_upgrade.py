"""Bring a store created by an earlier version up to the current schema, in place and backward-compatibly.

Only additions: a column the current tables declare but the database lacks is added, nullable, with
`ALTER TABLE ... ADD COLUMN` (SQLite and PostgreSQL both do this without rewriting the table). Nothing
is dropped or changed, so an older service version can keep running against the upgraded store.
"""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, inspect, text
from sqlalchemy.exc import SQLAlchemyError


def missing_columns(engine: Engine, metadata: MetaData) -> dict[str, list[str]]:
    """Return {table: [column, ...]} for declared columns the database does not have yet."""
    inspector = inspect(engine)
    missing: dict[str, list[str]] = {}
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        absent = [column.name for column in table.columns if column.name not in present]
        if absent:
            missing[table.name] = absent
    return missing


def upgrade_schema(engine: Engine, metadata: MetaData) -> list[str]:
    """Add every missing (nullable) column; return 'table.column' for each one added."""
    added: list[str] = []
    for table_name, columns in missing_columns(engine, metadata).items():
        table = metadata.tables[table_name]
        for name in columns:
            column = table.columns[name]
            column_type = column.type.compile(dialect=engine.dialect)
            statement = f'ALTER TABLE "{table_name}" ADD COLUMN "{name}" {column_type}'
            try:
                with engine.begin() as conn:
                    conn.execute(text(statement))
            except SQLAlchemyError:
                # Another process added it first (two workers starting together): fine if it now exists.
                if name in missing_columns(engine, metadata).get(table_name, []):
                    raise
            added.append(f"{table_name}.{name}")
    return added
