"""The sql node's config as saved (SQL text used as written, secrets only in
the connection) and its JSON conversions both ways."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from activities.base import NodeError, _render_config
from activities.sql_connection import parse_dsn, platform_database_open
from activities.sql_values import to_json, to_params
from core.settings import Settings
from workflows.registry import REGISTRY
from workflows.validation import validate_definition

DSN = "{{ secrets.REPORTS_DB }}"


def problems(config: dict) -> list:
    definition = {"name": "t", "inputs": {"type": "object"},
                  "nodes": [{"id": "q", "type": "sql", "config": {"dsn": DSN, **config}}]}
    _, issues = validate_definition(definition, REGISTRY)
    return [(issue.code, issue.path, issue.message) for issue in issues]


def test_a_valid_config_saves():
    assert problems({"sql": "SELECT * FROM t WHERE id = $1", "params": ["{{ inputs.id }}"]}) == []
    assert problems({"sql": ["UPDATE t SET a = $1", "SELECT 1"], "params": [["{{ inputs.a }}"], []],
                     "read_only": False}) == []


@pytest.mark.parametrize("sql", ["SELECT * FROM t WHERE id = {{ inputs.id }}",
                                 "SELECT 1 {% if inputs.x %}, 2{% endif %}",
                                 ["SELECT 1", "DELETE FROM t WHERE id = '{{ inputs.id }}'"]])
def test_a_template_in_the_sql_text_is_refused_at_save(sql):
    [(code, path, message)] = problems({"sql": sql})
    assert code == "invalid_config" and path.startswith("$.nodes[0].config.sql")
    assert "bind parameters $1, $2" in message


def test_a_secret_may_not_go_into_a_parameter():
    [(code, path, _)] = problems({"sql": "SELECT $1", "params": ["{{ secrets.TOKEN }}"]})
    assert (code, path) == ("secret_not_allowed", "$.nodes[0].config.params[0]")


def test_params_of_a_statement_list_are_one_list_per_statement():
    [(code, _, message)] = problems({"sql": ["SELECT $1", "SELECT $1"], "params": ["a", "b"]})
    assert code == "invalid_config" and "one list per statement" in message


async def test_the_worker_never_renders_the_sql_text():
    node_type = REGISTRY["sql"]
    config = {"dsn": "postgresql://u@h/d", "sql": "SELECT '{{ inputs.x }}'", "params": ["{{ inputs.x }}"]}
    rendered = await _render_config(node_type, config, {"inputs": {"x": 7}, "nodes": {}}, None)
    assert rendered["sql"] == "SELECT '{{ inputs.x }}'" and rendered["params"] == [7]
    with pytest.raises(ValueError, match="bind parameters"):  # and the model refuses it, forged plan or not
        node_type.config_model.model_validate(rendered)


def test_parse_dsn():
    target = parse_dsn("postgresql://app:s%40cret@db.example:6543/reports?sslmode=require", None)
    assert (target.host, target.port, target.user, target.password, target.database, target.sslmode) == (
        "db.example", 6543, "app", "s@cret", "reports", "require")
    assert parse_dsn("postgres://app@db.example/reports", "override").password == "override"
    assert "s@cret" not in repr(target)


@pytest.mark.parametrize("dsn", ["mysql://u:pw@h/d", "postgresql://u:pw@h1,h2/d", "postgresql://u:pw@h/d?host=/tmp",
                                 "postgresql://h/d", "postgresql://u:pw@h", "postgresql://u:pw@h:99999/d",
                                 "postgresql://u:pw@h/d?sslmode=sometimes"])
def test_a_bad_dsn_is_refused_without_echoing_it(dsn):
    with pytest.raises(NodeError) as caught:
        parse_dsn(dsn, None)
    assert caught.value.code == "invalid_dsn" and "pw" not in caught.value.message


def test_only_named_databases_of_the_platform_server_open():
    settings = Settings(database_url="postgresql+asyncpg://p@127.0.0.1/agentic", sql_platform_databases=["scratch_*"])
    assert platform_database_open("scratch_1", settings)
    assert not platform_database_open("other", settings)
    assert not platform_database_open("agentic", settings.model_copy(update={"sql_platform_databases": ["*"]}))


def _types(*names: str):
    return tuple(SimpleNamespace(name=name, kind="array" if name.startswith("_") else "scalar") for name in names)


def test_parameters_are_converted_to_the_declared_types():
    values = to_params(_types("int4", "numeric", "date", "timestamptz", "uuid", "bool", "text", "_int8", "jsonb"),
                       ["5", 1.5, "2024-01-02", "2024-01-02T03:04:05", "6f1c1c8e-2f4b-4d0e-9d7e-1a2b3c4d5e6f",
                        "true", 12, [1, 2], {"a": 1}])
    assert values == [5, Decimal("1.5"), date(2024, 1, 2), datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                      uuid.UUID("6f1c1c8e-2f4b-4d0e-9d7e-1a2b3c4d5e6f"), True, "12", [1, 2], {"a": 1}]


@pytest.mark.parametrize("kind, value", [("int4", 1.5), ("int4", True), ("date", 5), ("uuid", "nope"),
                                         ("bool", 1), ("_int4", 3)])
def test_a_value_that_does_not_fit_its_parameter_is_refused(kind, value):
    with pytest.raises(NodeError) as caught:
        to_params(_types(kind), [value])
    assert caught.value.code == "sql_params" and caught.value.message.startswith("parameter $1")


def test_columns_become_json():
    assert to_json(Decimal("1.25")) == 1.25
    assert to_json(Decimal("10.00")) == 10
    assert to_json(Decimal("0.1000000000000000000001")) == "0.1000000000000000000001"  # not exact as a float
    assert to_json(Decimal("NaN")) == "NaN"
    assert to_json(datetime(2024, 1, 2, 3, 4, tzinfo=UTC)) == "2024-01-02T03:04:00+00:00"
    assert to_json(timedelta(minutes=2)) == 120.0
    assert to_json(b"\x01\xff") == "\\x01ff"
    assert to_json([uuid.UUID(int=1), float("inf")]) == ["00000000-0000-0000-0000-000000000001", "inf"]


def test_a_written_out_dsn_password_is_refused_at_save_only():
    [(code, path, message)] = problems({"dsn": "postgresql://app:hunter2@db.example/app", "sql": "SELECT 1"})
    assert (code, path) == ("invalid_config", "$.nodes[0].config") and "written-out password" in message
    assert "hunter2" not in message
    assert problems({"dsn": "postgresql://app@db.example/app", "password": "{{ secrets.DB_PW }}", "sql": "SELECT 1"}) == []
    # the worker validates the rendered config, where the secret's password is: accepted there
    REGISTRY["sql"].config_model.model_validate({"dsn": "postgresql://app:hunter2@db.example/app", "sql": "SELECT 1"})
