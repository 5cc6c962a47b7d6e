"""What the two warehouse sources (Snowflake, BigQuery) share: the SQL they send and how a
column's type reads as a source field type. Their wire protocols stay in their own modules."""

from __future__ import annotations

import re

from workers.sources.errors import SourceFailed
from workers.sources.source import ReadPlan

CURSOR_COLUMN = "updated_at"  # what an incremental run of a table filters and orders on
_PLAIN = re.compile(r"^[A-Za-z_][\w$-]*$")


def parts(name: str, what: str) -> list[str]:
    pieces = name.split(".")
    if not all(_PLAIN.match(piece) for piece in pieces):
        raise SourceFailed(f"{name!r} is not a {what} name (letters, digits, _ and $ only).")
    return pieces


def select(
    table: str, columns: list[str], cursor: str | None, since: str | None, quote: str
) -> str:
    """SELECT the mapped columns, from the saved cursor on when there is one, oldest first."""
    q = quote[0], quote[-1]
    names = ", ".join(f"{q[0]}{c}{q[1]}" for c in columns) if columns else "*"
    sql = f"SELECT {names} FROM {table}"
    if cursor and since:
        sql += f" WHERE {q[0]}{cursor}{q[1]} >= '{since.replace(chr(39), '')}'"
    if cursor:
        sql += f" ORDER BY {q[0]}{cursor}{q[1]}"
    return sql


def cursor_column(plan: ReadPlan, columns: list[str]) -> str | None:
    """The table's updated_at column (any case) for an incremental run; refused without one."""
    if not plan.incremental:
        return None
    found = next((c for c in columns if c.lower() == CURSOR_COLUMN), None)
    if found is None:
        raise SourceFailed(
            f"An INCREMENTAL run of {plan.object} needs an {CURSOR_COLUMN} column to follow; "
            "the table has none, so run it as FULL."
        )
    return found


def mapped_columns(plan: ReadPlan, columns: list[str], cursor: str | None) -> list[str]:
    """The table's columns the job maps (matched without regard to case), and the cursor."""
    wanted = {f.split(".")[0].lower() for f in plan.fields}
    picked = [c for c in columns if c.lower() in wanted or c == cursor]
    missing = wanted - {c.lower() for c in columns}
    if missing:
        raise SourceFailed(f"{plan.object} has no column {sorted(missing)[0]!r}.")
    return picked


def field_type(sql_type: str) -> str:
    kind = sql_type.upper()
    if kind.startswith(("NUMBER", "NUMERIC", "DECIMAL")):
        return "integer" if re.search(r",\s*0\)", kind) or "(" not in kind else "number"
    table = {
        "INT": "integer", "BIGINT": "integer", "INTEGER": "integer", "INT64": "integer",
        "FLOAT": "number", "FLOAT64": "number", "DOUBLE": "number", "REAL": "number",
        "BOOLEAN": "boolean", "BOOL": "boolean", "DATE": "date",
        "TIMESTAMP": "datetime", "DATETIME": "datetime", "TIMESTAMP_NTZ": "datetime",
        "TIMESTAMP_LTZ": "datetime", "TIMESTAMP_TZ": "datetime",
        "VARIANT": "json", "OBJECT": "json", "ARRAY": "json", "RECORD": "json", "JSON": "json",
    }  # fmt: skip
    return table.get(re.sub(r"\(.*", "", kind).strip(), "string")
