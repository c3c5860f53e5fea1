"""for_each as saved: the per-item node is an unprivileged activity type with
a valid config, its expressions may read `item` and `index`, and the list's
expression is workflow code (no secrets)."""

from __future__ import annotations

from workflows.for_each import item_reads
from workflows.registry import REGISTRY
from workflows.validation import validate_definition


def problems(config: dict, upstream: bool = False) -> list:
    nodes = [{"id": "each", "type": "for_each", "config": config}]
    edges = []
    if upstream:
        nodes.insert(0, {"id": "src", "type": "transform", "config": {"output": [1, 2]}})
        edges = [{"from": "src", "to": "each"}]
    _, issues = validate_definition({"name": "t", "nodes": nodes, "edges": edges}, REGISTRY)
    return [(issue.code, issue.path) for issue in issues]


def test_a_valid_for_each_saves():
    assert problems({"items": "{{ nodes.src.output }}", "node": {"type": "http_request", "config": {
        "url": "https://api.example.com/{{ item.id }}?n={{ index }}",
        "headers": {"Authorization": "Bearer {{ secrets.API }}"}}}}, upstream=True) == []


def test_the_item_node_must_be_an_unprivileged_activity_type():
    assert problems({"items": [1], "node": {"type": "shell", "config": {"argv": ["id"]}}}) == [
        ("invalid_config", "$.nodes[0].config.node.type")]
    assert problems({"items": [1], "node": {"type": "approval", "config": {}}}) == [
        ("invalid_config", "$.nodes[0].config.node.type")]
    assert problems({"items": [1], "node": {"type": "teleport"}}) == [("invalid_config", "$.nodes[0].config.node.type")]


def test_the_item_config_is_checked_against_its_type():
    found = problems({"items": [1], "node": {"type": "http_request", "config": {"url": "ftp://x/"}}})
    assert found == [("url_scheme_not_allowed", "$.nodes[0].config.node.config.url")]
    assert problems({"items": [1], "node": {"type": "http_request", "config": {}}})[0][1].startswith(
        "$.nodes[0].config.node.config")


def test_item_names_only_inside_the_item_node():
    assert problems({"items": "{{ item }}", "node": {"type": "transform", "config": {"output": 1}}}) == [
        ("expression_unknown_name", "$.nodes[0].config.items")]
    assert problems({"items": [1], "node": {"type": "transform", "config": {"output": "{{ itme }}"}}}) == [
        ("expression_unknown_name", "$.nodes[0].config.node.config.output")]


def test_secrets_only_in_the_item_types_secret_fields():
    assert problems({"items": "{{ secrets.LIST }}", "node": {"type": "transform", "config": {"output": 1}}}) == [
        ("secret_not_allowed", "$.nodes[0].config.items")]
    assert problems({"items": [1], "node": {"type": "transform", "config": {"output": "{{ secrets.X }}"}}}) == [
        ("secret_not_allowed", "$.nodes[0].config.node.config.output")]


def test_limits_are_hard():
    assert ("invalid_config", "$.nodes[0].config.max_items") in problems(
        {"items": [1], "node": {"type": "transform", "config": {"output": 1}}, "max_items": 10_001})


def test_each_item_reads_only_what_its_config_references():
    config = {"items": "{{ nodes.big.output }}", "node": {"type": "transform", "config": {
        "output": "{{ nodes.small.output }} {{ item }}"}}}
    assert item_reads(config) == ["small"]


def test_the_item_nodes_written_out_host_is_put_to_the_egress_policy_when_saved():
    from workflows.url_literals import Destination, destinations

    raw = {"name": "t", "nodes": [{"id": "each", "type": "for_each", "config": {
        "items": [1], "node": {"type": "http_request", "config": {"url": "http://10.0.0.5/{{ item }}"}}}}]}
    assert list(destinations(raw, REGISTRY)) == [
        Destination("$.nodes[0].config.node.config.url", "10.0.0.5", 80)]
