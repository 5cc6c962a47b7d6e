"""The little SQL that the warehouse fakes (Snowflake, BigQuery) understand.

Real connectors read warehouses with a handful of statement shapes, so the fakes parse exactly
those and nothing more:

    SELECT <cols | *> FROM <table path>
        [WHERE <col> <op> <literal> [AND <col> <op> <literal> ...]]
        [ORDER BY <col> [ASC | DESC]] [LIMIT <n>]

`<op>` is one of `= != <> > >= < <=`; a literal is a quoted string or a number. A table path is
dotted, each part bare, "double-quoted" (Snowflake) or the whole path in `backticks` (BigQuery).
Anything else raises `SqlError`, which each fake turns into its vendor's compilation error.
How names resolve (defaults, case) is the vendor's business, so this module returns the raw
path parts and the vendor module looks the table up.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


class SqlError(ValueError):
    """The statement is outside the subset or does not compile."""


@dataclass(frozen=True)
class Ident:
    name: str
    quoted: bool = False


@dataclass(frozen=True)
class Condition:
    column: Ident
    op: str
    value: str | float


@dataclass
class Select:
    columns: list[Ident] | None  # None means `*`
    table: list[Ident]
    where: list[Condition] = field(default_factory=list)
    order_by: Ident | None = None
    descending: bool = False
    limit: int | None = None


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}

_IDENT = r'(?:"[^"]+"|`[^`]+`|[A-Za-z_][A-Za-z0-9_$-]*)'
_PATH = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
_SELECT = re.compile(
    rf"""^\s*SELECT\s+(?P<cols>\*|{_IDENT}(?:\s*,\s*{_IDENT})*)\s+
    FROM\s+(?P<table>{_PATH})
    (?:\s+WHERE\s+(?P<where>.+?))?
    (?:\s+ORDER\s+BY\s+(?P<order>{_IDENT})(?:\s+(?P<dir>ASC|DESC))?)?
    (?:\s+LIMIT\s+(?P<limit>\d+))?\s*;?\s*$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
_CONDITION = re.compile(
    rf"^\s*(?P<col>{_IDENT})\s*(?P<op>>=|<=|<>|!=|=|>|<)\s*"
    r"(?P<lit>'(?:[^']|'')*'|-?\d+(?:\.\d+)?)\s*$",
    re.DOTALL,
)


def parse_ident(text: str) -> Ident:
    text = text.strip()
    if text[:1] in {'"', "`"}:
        return Ident(text[1:-1], quoted=True)
    return Ident(text)


def parse_path(text: str) -> list[Ident]:
    """`a.b."C"` -> three parts; a single backticked `p.d.t` is split on its dots (BigQuery)."""
    parts = re.findall(_IDENT, text)
    idents: list[Ident] = []
    for part in parts:
        if part.startswith("`"):
            idents.extend(Ident(piece, quoted=True) for piece in part[1:-1].split("."))
        else:
            idents.append(parse_ident(part))
    return idents


def parse_select(sql: str) -> Select:
    match = _SELECT.match(sql)
    if match is None:
        raise SqlError(f"unsupported statement: {sql.strip()[:80]!r}")
    cols = match["cols"]
    columns = None if cols == "*" else [parse_ident(c) for c in re.findall(_IDENT, cols)]
    return Select(
        columns=columns,
        table=parse_path(match["table"]),
        where=_parse_where(match["where"]),
        order_by=parse_ident(match["order"]) if match["order"] else None,
        descending=(match["dir"] or "").upper() == "DESC",
        limit=int(match["limit"]) if match["limit"] else None,
    )


def _parse_where(text: str | None) -> list[Condition]:
    if not text:
        return []
    conditions = []
    for part in re.split(r"\s+AND\s+", text, flags=re.IGNORECASE):
        match = _CONDITION.match(part)
        if match is None:
            raise SqlError(f"unsupported WHERE clause: {part.strip()!r}")
        literal = match["lit"]
        quoted = literal.startswith("'")
        value: str | float = literal[1:-1].replace("''", "'") if quoted else float(literal)
        conditions.append(Condition(parse_ident(match["col"]), match["op"], value))
    return conditions


def run_select(
    query: Select,
    column_names: list[str],
    rows: Iterable[dict[str, Any]],
    resolve: Callable[[Ident, list[str]], str],
    nulls_high: bool,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Filter, order, limit and project `rows`; `resolve` maps an identifier to a column name.

    `nulls_high`: Snowflake sorts NULL above every value (last ascending, first descending);
    BigQuery sorts it below (first ascending, last descending).

    Returns the projected column names and the rows (dicts keyed by those names).
    """
    wanted = query.columns
    selected = column_names if wanted is None else [resolve(c, column_names) for c in wanted]
    tests = [(resolve(c.column, column_names), _OPS[c.op], c.value) for c in query.where]
    kept = [row for row in rows if all(_compare(row.get(col), op, val) for col, op, val in tests)]
    if query.order_by is not None:
        key = resolve(query.order_by, column_names)
        null_rank = 1 if nulls_high else -1
        kept.sort(key=lambda r: (null_rank if r.get(key) is None else 0, _sortable(r.get(key))))
        if query.descending:
            kept.reverse()
    if query.limit is not None:
        kept = kept[: query.limit]
    return selected, [{name: row.get(name) for name in selected} for row in kept]


def _sortable(value: Any) -> Any:
    return "" if value is None else value


def _compare(actual: Any, op: Callable[[Any, Any], bool], literal: str | float) -> bool:
    if actual is None:
        return False  # SQL: a comparison with NULL is never true
    if isinstance(literal, float):
        try:
            return op(float(actual), literal)
        except (TypeError, ValueError):
            return False
    if isinstance(actual, dt.datetime | dt.date):
        return op(actual, _as_time(literal, actual))
    return op(str(actual), literal)


def _as_time(literal: str, like: dt.date) -> dt.date:
    """Read a quoted timestamp literal the way the warehouses coerce it for a comparison."""
    try:
        parsed = dt.datetime.fromisoformat(literal)
    except ValueError as exc:
        raise SqlError(f"cannot compare a timestamp with {literal!r}") from exc
    if not isinstance(like, dt.datetime):
        return parsed.date()
    if (like.tzinfo is None) != (parsed.tzinfo is None):
        # a literal without a zone is read as UTC against a zoned column, and vice versa
        parsed = parsed.replace(tzinfo=None if like.tzinfo is None else dt.UTC)
    return parsed
