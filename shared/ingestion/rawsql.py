"""Driver-level SQL for ingestion's hot statements, on MariaDB/MySQL and SQLite.

A batch of 2,000 readings runs a dozen statements whose size grows with the batch (multi-row
VALUES, OR-ed key ranges). Built through SQLAlchemy, such a statement costs more CPU to compile
and to bind than the database spends running it (measured: an OR of 200 ranges, 31 ms of
compile against 3 ms as driver SQL). So these statements are written here as plain SQL with
positional markers, and run on the session's connection inside its transaction.

Only the few things that differ between the two dialects live here: the marker, upsert syntax,
row locks, and how a naive UTC datetime is passed and read back (SQLAlchemy stores SQLite
DATETIME as `YYYY-MM-DD HH:MM:SS.ffffff` text; MariaDB takes and returns `datetime`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

# Rows per multi-row statement: far below max_allowed_packet (16 MiB) and SQLite's 32,766
# host parameters for the widest table written here (6 columns).
CHUNK_ROWS = 2000
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(frozen=True, slots=True)
class RawSql:
    """The session's connection, and how to spell a statement for its dialect."""

    connection: Connection
    mysql: bool

    @classmethod
    def of(cls, session: Session) -> RawSql:
        """Wrap the connection of the session's current transaction."""
        connection = session.connection()
        return cls(connection, connection.dialect.name in ("mysql", "mariadb"))

    @property
    def mark(self) -> str:
        """The driver's positional parameter marker."""
        return "%s" if self.mysql else "?"

    def group(self, width: int) -> str:
        """`(?, ?, …)` with `width` markers."""
        return "(" + ",".join([self.mark] * width) + ")"

    def when(self, value: datetime) -> Any:
        """A naive UTC datetime as the driver parameter the column compares with."""
        return value if self.mysql else value.strftime(_SQLITE_DATETIME)

    @staticmethod
    def read_when(value: Any) -> datetime:
        """A DATETIME column value as a naive datetime."""
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    def select(
        self,
        columns: str,
        table: str,
        where: str,
        params: Sequence[Any],
        *,
        order_by: str = "",
        lock: bool = False,
    ) -> Sequence[Any]:
        """Run a SELECT; return all rows as tuples.

        Callers pass constant identifiers and conditions built from markers only; every value
        is a bound parameter.
        """
        sql = f"SELECT {columns} FROM {table} WHERE {where}"  # noqa: S608 - values are bound
        if order_by:
            sql += f" ORDER BY {order_by}"
        if lock and self.mysql:
            sql += " FOR UPDATE"
        return self.connection.exec_driver_sql(sql, tuple(params)).all()

    def run(self, sql: str, params: Sequence[Any]) -> None:
        """Run a statement that returns nothing."""
        self.connection.exec_driver_sql(sql, tuple(params))

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        keys: Sequence[str] = (),
        replace: Sequence[str] = (),
        add: Sequence[str] = (),
        ignore: bool = False,
    ) -> None:
        """Multi-row INSERT of `rows` (tuples in `columns` order), a few statements at most.

        With `keys` and `replace`/`add`: an upsert that overwrites `replace` and adds to `add`
        on a key conflict. With `ignore`: conflicting rows are left as they are. Plain
        otherwise: a conflict raises.
        """
        if not rows:
            return
        head, tail = self._insert_clauses(table, columns, keys, replace, add, ignore)
        group = self.group(len(columns))
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            values = ",".join([group] * len(chunk))
            self.run(f"{head} VALUES {values}{tail}", [v for row in chunk for v in row])

    def _insert_clauses(
        self,
        table: str,
        columns: Sequence[str],
        keys: Sequence[str],
        replace: Sequence[str],
        add: Sequence[str],
        ignore: bool,
    ) -> tuple[str, str]:
        names = ",".join(columns)
        if self.mysql:
            head = f"INSERT {'IGNORE ' if ignore else ''}INTO {table} ({names})"
            sets = [f"{c}=VALUES({c})" for c in replace] + [f"{c}={c}+VALUES({c})" for c in add]
            return head, (" ON DUPLICATE KEY UPDATE " + ",".join(sets)) if sets else ""
        sets = [f"{c}=excluded.{c}" for c in replace]
        sets += [f"{c}={table}.{c}+excluded.{c}" for c in add]
        if sets:
            tail = f" ON CONFLICT ({','.join(keys)}) DO UPDATE SET " + ",".join(sets)
            return f"INSERT INTO {table} ({names})", tail
        if ignore and keys:
            return f"INSERT INTO {table} ({names})", f" ON CONFLICT ({','.join(keys)}) DO NOTHING"
        return f"INSERT {'OR IGNORE ' if ignore else ''}INTO {table} ({names})", ""

    def any_of(self, terms: Iterable[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
        """OR-join (condition, params) terms into one condition and its parameter list."""
        conditions: list[str] = []
        params: list[Any] = []
        for condition, values in terms:
            conditions.append(condition)
            params.extend(values)
        return "(" + " OR ".join(conditions) + ")", params
