"""sql: statements against a PostgreSQL database (handler: activities/sql.py).

The SQL text is used as written (never rendered): values reach it only as
bind parameters `$1, $2, ...` from `params`, each of which may be an
expression. The connection (`dsn`, and optionally `password`) takes a secret.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator

from workflows.node_types import NOT_RENDERED, TAKES_SECRET, NodeConfig, NodeType, is_saved

MAX_ROWS = 10_000  # the most any node may ask for (the settings may lower it)
TEMPLATE_MARKS = ("{{", "{%", "{#", "}}")


def _literal_sql(text: str) -> str:
    if any(mark in text for mark in TEMPLATE_MARKS):
        raise ValueError("the SQL text is used as written and may not hold a template ('{{', '{%'): pass "
                         "values as bind parameters $1, $2, ... listed in `params`")
    if not text.strip():
        raise ValueError("the SQL text is empty")
    return text


class SqlConfig(NodeConfig):
    dsn: str = Field(min_length=1, json_schema_extra=TAKES_SECRET,
                     description="postgresql://user[:password]@host[:port]/database[?sslmode=...], "
                                 "e.g. '{{ secrets.REPORTS_DB }}'")
    password: str | None = Field(None, json_schema_extra=TAKES_SECRET,
                                 description="overrides the DSN's password, e.g. '{{ secrets.DB_PASSWORD }}'")
    sql: str | list[str] = Field(json_schema_extra=NOT_RENDERED,
                                 description="one statement, or a list run in order in one transaction "
                                             "(the last one's rows are the output); never rendered")
    params: list[Any] = Field(default_factory=list, max_length=10_000, description=(
        "bind parameters $1, $2, ... (each may be an expression); with a list of statements, one list "
        "per statement"))
    read_only: bool = Field(True, description="false: the statements may write, all in one transaction")
    statement_timeout_s: float = Field(30.0, gt=0, le=3600)
    connect_timeout_s: float = Field(10.0, gt=0, le=120)
    max_rows: int = Field(1000, ge=1, le=MAX_ROWS)
    on_too_many_rows: Literal["fail", "truncate"] = "fail"

    @field_validator("sql")
    @classmethod
    def _literal(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list):
            if not 1 <= len(value) <= 100:
                raise ValueError("give 1 to 100 statements")
            return [_literal_sql(text) for text in value]
        return _literal_sql(value)

    @model_validator(mode="after")
    def _no_written_password(self, info: ValidationInfo):
        """As saved, a password in the DSN must come from a secret: written
        out, it would be in every version, plan and history."""
        if is_saved(info) and "{{" not in self.dsn and "{%" not in self.dsn:
            try:
                written = urlsplit(self.dsn).password
            except ValueError:
                written = None
            if written:
                raise ValueError("the DSN holds a written-out password: put the DSN in a secret "
                                 "('{{ secrets.MY_DB }}') or give `password: '{{ secrets.MY_DB_PASSWORD }}'`")
        return self

    @model_validator(mode="after")
    def _params_fit(self):
        if isinstance(self.sql, list) and self.params:
            if len(self.params) != len(self.sql) or not all(isinstance(p, list) for p in self.params):
                raise ValueError("with a list of statements, `params` is one list per statement")
        return self

    def statements(self) -> list[tuple[str, list[Any]]]:
        if isinstance(self.sql, str):
            return [(self.sql, self.params)]
        return list(zip(self.sql, self.params or [[] for _ in self.sql]))


def destination(config: SqlConfig, settings) -> str | None:
    """Where the DSN (and its password) go: the database's host."""
    try:
        return urlsplit(config.dsn).hostname
    except ValueError:
        return None


NODE_TYPE = NodeType(
    name="sql",
    config_model=SqlConfig,
    description="Runs SQL on PostgreSQL with bind parameters; read-only unless read_only is false.",
    default_timeout_s=120,
    destination=destination,
)
