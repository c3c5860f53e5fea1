"""Hard limits inside the expression sandbox (issue 8, item 6): every bypass of
the size cap, the loop budget and recursion is refused with an
ExpressionLimitError (or ExpressionError for refused constructs), while
ordinary templates keep working."""

from __future__ import annotations

import pytest

from workflows.expression_limits import MAX_DATA, MAX_INT_BITS, MAX_SIZE, MAX_STEPS, evaluation
from workflows.expressions import (
    ExpressionError,
    ExpressionLimitError,
    analyze,
    evaluate_condition,
    render_string,
    render_value,
)
from workflows.registry import REGISTRY
from workflows.validation import validate_definition

# A pre-fix run of any of these either returned a huge value or never ended:
# the timeout turns "never ended" into a failure.
pytestmark = pytest.mark.timeout(60)


def ctx(**inputs):
    return {"inputs": inputs, "nodes": {}}


# --------------------------------------------------------------------------
# The attacks of the issue
# --------------------------------------------------------------------------

ISSUE_BYPASSES = [
    "{{ (('x'*1000000)|replace('x','x'*50))|length }}",  # gave 50,000,000 on the worker
    "{{ ('x'*1000000).replace('x', 'x'*50)|length }}",
    "{{ 'x'|center(50000000)|length }}",
    "{{ 'x'.center(50000000)|length }}",
    "{{ '%50000000s'|format(1)|length }}",
    "{{ ('%50000000s' % 1)|length }}",
    "{{ ('%.50000000f' % 1.5)|length }}",
    "{{ '{:50000000}'.format(1)|length }}",
    "{{ '{0:>{1}}'.format(1, 50000000)|length }}",
    "{{ '{a:50000000}'.format_map({'a': 1})|length }}",
]


@pytest.mark.parametrize("text", ISSUE_BYPASSES)
def test_amplifiers_are_refused_before_they_allocate(text):
    with pytest.raises(ExpressionLimitError, match=f"over the limit of {MAX_SIZE} characters or items"):
        render_string(text, ctx())


@pytest.mark.parametrize("text", [
    "{{ dict.fromkeys(range(100000), 'x'*1000000)|length }}",
    "{{ {}.fromkeys(range(100000), 'x'*1000000)|length }}",
    "{{ (1).from_bytes('ab'.encode(), 'big') }}",
])
def test_class_level_constructors_are_unsafe(text):
    with pytest.raises(ExpressionError, match="^unsafe expression: access to attribute"):
        render_string(text, ctx())


def test_nested_loops_hit_the_step_budget():
    text = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    with pytest.raises(ExpressionLimitError, match=f"over the limit of {MAX_STEPS} steps"):
        render_string(text, ctx())


SELF_RECURSIVE = [
    ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "macros"),
    ("{% macro f() %}{{ caller() }}{% endmacro %}{% call f() %}x{% endcall %}", "macros"),
    ("{% for x in [[1]] recursive %}{{ loop(x) }}{% endfor %}", "recursive loops"),
]


@pytest.mark.parametrize("text, what", SELF_RECURSIVE)
def test_recursion_is_refused_at_analysis_and_at_evaluation(text, what):
    assert any(what in reason for reason in analyze(text).refused)
    with pytest.raises(ExpressionError, match=f"^unsafe expression: {what}"):
        render_string(text, ctx())


def test_call_blocks_are_refused_at_analysis():
    assert analyze("{% call x() %}y{% endcall %}").refused == ["call blocks ({% call %}) are not allowed"]


def test_validation_reports_a_macro_with_its_path():
    definition = {"name": "m", "nodes": [{"id": "t", "type": "transform", "config": {
        "output": {"v": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"}}}]}
    problems = {(i.code, i.path, i.message) for i in validate_definition(definition, REGISTRY)[1]}
    assert problems == {("expression_unsafe", "$.nodes[0].config.output.v", "macros ({% macro %}) are not allowed")}


# --------------------------------------------------------------------------
# More amplifiers of the same kind
# --------------------------------------------------------------------------

MORE_AMPLIFIERS = [
    "{{ 'x'.ljust(5000000)|length }}",
    "{{ 'x'.rjust(5000000)|length }}",
    "{{ 'x'.zfill(5000000)|length }}",
    "{{ ('\t' * 100000).expandtabs(100)|length }}",
    "{{ ('x' * 100000).translate({120: 'y' * 100})|length }}",
    "{{ ('a\nb' * 100000)|indent(100)|length }}",
    "{{ ('ab ' * 100000)|wordwrap(2, wrapstring='-' * 50)|length }}",
    "{{ ('www.a.co ' * 1000)|urlize(target='x' * 10000)|length }}",
    "{{ [1]|batch(5000000, 'x')|list|length }}",
    "{{ [1]|slice(5000000)|list|length }}",
    "{{ [[1, 2, 3]]|tojson(indent=5000000)|length }}",
    "{{ (1).to_bytes(5000000, 'big')|length }}",
    "{{ ('x' * 100000)|join('y' * 100)|length }}",
    "{{ ('y' * 100).join('x' * 100000)|length }}",
    "{{ ('{0}' * 100000).format('x' * 100)|length }}",
    "{{ ('%(a)s' * 1000) % {'a': 'x' * 10000} }}",
    "{{ ('x' * 600000 + 'x' * 600000)|length }}",
    "{{ [['x' * 1000000] * 1000]|string|length }}",
]


@pytest.mark.parametrize("text", MORE_AMPLIFIERS)
def test_other_amplifiers_are_refused(text):
    with pytest.raises(ExpressionLimitError, match="over the limit of"):
        render_string(text, ctx())


def test_star_widths_are_refused():
    with pytest.raises(ExpressionLimitError, match=r"'\*' widths"):
        render_string("{{ '%*d' % (50000000, 1) }}", ctx())


def test_a_mapping_key_with_parentheses_does_not_hide_a_width():
    with pytest.raises(ExpressionLimitError, match="over the limit"):
        render_string("{{ ('%(a(b))50000000s' % {'a(b)': 1})|length }}", ctx())


def test_huge_integers_are_refused():
    with pytest.raises(ExpressionLimitError, match=f"over the limit of {MAX_INT_BITS} bits"):
        render_string("{{ ((2 ** 999) ** 999) > 0 }}", ctx())


@pytest.mark.parametrize("text", ["{{ 9 ** 387420489 > 0 }}", "{{ inputs.n ** 5000 }}"])
def test_huge_exponents_are_refused(text):
    with pytest.raises(ExpressionError, match="exponent"):
        evaluate_condition(text, {"inputs": {"n": 7}, "nodes": {}})


@pytest.mark.parametrize("text", ["{{ 'a' * 3000000000 }}", "{{ [1] * inputs.n }}", "x{{ inputs.n * 'ab' }}"])
def test_huge_repetitions_are_refused(text):
    with pytest.raises(ExpressionError, match="repetition"):
        render_string(text, {"inputs": {"n": 2_000_000}, "nodes": {}})


def test_ordinary_arithmetic_still_works():
    assert render_string("{{ 2 ** 10 * 3 }}", {}) == 3072
    assert render_string("{{ 'ab' * 3 }}", {}) == "ababab"


def test_sum_adds_numbers_only():
    with pytest.raises(ExpressionError, match="the sum filter adds numbers"):
        render_string("{{ [[1], [2]]|sum(start=[]) }}", ctx())


# --------------------------------------------------------------------------
# Growth that is not one amplifier: output, blocks, concatenation, sharing
# --------------------------------------------------------------------------

GROWTH = [
    "{% for i in range(100000) %}{{ inputs.big }}{% endfor %}",
    "{% set s %}{% for i in range(1000) %}{{ inputs.big }}{% endfor %}{% endset %}{{ s|length }}",
    "{% filter upper %}{% for i in range(1000) %}{{ inputs.big }}{% endfor %}{% endfilter %}",
    "{% set a = inputs.big %}{% set a = a ~ a %}{% set a = a ~ a %}{% set a = a ~ a %}{{ a|length }}",
    "{% set b = [inputs.big] * 4 %}{% set c = [b, b, b, b] %}{{ c }}",
    "{% set b = [inputs.big, inputs.big] %}{% set c = [b, b] %}{% set d = [c, c] %}{{ d|string|length }}",
    "{{ [inputs.big, inputs.big] }}",
]


@pytest.mark.parametrize("text", GROWTH)
def test_values_and_outputs_stay_under_the_size_cap(text):
    with pytest.raises(ExpressionLimitError, match=f"over the limit of {MAX_SIZE}"):
        render_string(text, ctx(big="x" * 600_000))


STEP_HEAVY = [
    "{{ range(100000)|map('string')|join|length }}",
    "{{ ((range(100000)|list) * 10)|sort|length }}",
    "{{ ((range(100000)|list) * 10)|map(attribute='real')|list|length }}",
    "{{ ((range(100000)|list) * 10)|selectattr('real')|list|length }}",
    "{% for i in range(60000) %}{% for j in range(2) %}{% endfor %}{% endfor %}",
    "{{ ('a ' * 500000)|title|length }}",
]


@pytest.mark.parametrize("text", STEP_HEAVY)
def test_per_item_work_costs_steps(text):
    with pytest.raises(ExpressionLimitError, match=f"over the limit of {MAX_STEPS} steps"):
        render_string(text, ctx())


DATA_HEAVY = [
    "{% for i in range(100000) %}{{ 'zz' in inputs.words }}{% endfor %}",
    "{% for i in range(100000) %}{% if inputs.words[:] %}{% endif %}{% endfor %}",
    "{% for i in range(1000) %}{{ inputs.words|length }}{% endfor %}",
    "{% for i in range(1000) %}{{ inputs.words is sameas inputs.words }}{% endfor %}",
]


@pytest.mark.parametrize("text", DATA_HEAVY)
def test_work_on_large_values_is_charged(text):
    with pytest.raises(ExpressionLimitError, match=f"over the limit of {MAX_DATA} items and characters"):
        render_string(text, ctx(words=["ab"] * 100_000))


def test_one_budget_covers_a_whole_config():
    half = "{% for i in range(" + str(MAX_STEPS * 6 // 10) + ") %}{% endfor %}"
    assert render_string(half, ctx()) == ""
    with pytest.raises(ExpressionLimitError, match="steps"):
        render_value({"a": half, "b": [half]}, ctx())


def test_edge_conditions_have_the_same_limits():
    with pytest.raises(ExpressionLimitError):
        evaluate_condition("(('x'*1000000)|replace('x','x'*50))|length > 0", ctx())


def test_a_deadline_stops_an_evaluation_only_when_asked():
    text = "{% for i in range(100) %}{% endfor %}done"
    assert render_string(text, ctx()) == "done"
    with pytest.raises(ExpressionLimitError, match="over the time limit of 1e-09 s"):
        render_string(text, ctx(), timeout_s=1e-9)


def test_the_cost_does_not_depend_on_a_cached_compilation():
    """Jinja folds constants at compile time; that must not run a filter, or a
    replay in a process without the cache would count differently."""
    text = "{{ 'abc'|upper ~ ('x'|center(9)) }}"
    counts = []
    for _ in range(2):
        with evaluation() as budget:
            assert render_string(text, ctx()) == "ABC    x    "
        counts.append((budget.steps, budget.data))
    assert counts[0] == counts[1] and counts[0][0] == 2


def test_deeply_nested_expressions_are_an_expression_error():
    text = "{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}"
    with pytest.raises(ExpressionError, match="nested too deeply"):
        analyze(text)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        render_string(text, ctx())


# --------------------------------------------------------------------------
# What must keep working
# --------------------------------------------------------------------------

ORDINARY = [
    ("{{ 'a-b'|replace('-', '+') }}", "a+b"),
    ("{{ 'ab'.replace('a', 'xyz') }}", "xyzb"),
    ("{{ 'x'|center(5) }}", "  x  "),
    ("{{ 'x'.rjust(3, '.') }}", "..x"),
    ("{{ '7'.zfill(3) }}", "007"),
    ("{{ '%5.1f|%-3s|%%|%(n)d' % {'n': 4} if false else '%5.1f|%-3s|%%' % (2.25, 'a') }}", "  2.2|a  |%"),
    ("{{ '%(n)03d' % {'n': 4} }}", "004"),
    ("{{ '%s and %s'|format('a', 'b') }}", "a and b"),
    ("{{ '{:>4}|{:.2f}|{x}'.format(1, 2.5, x='y') }}", "   1|2.50|y"),
    ("{{ '{a}'.format_map({'a': 1}) }}", "1"),
    ("{{ [1, 2, 3]|join(', ') }}", "1, 2, 3"),
    ("{{ ', '.join(['a', 'b']) }}", "a, b"),
    ("{{ 'a\nb'|indent(2, first=true) }}", "  a\n  b"),
    ("{{ 'aaa bbb'|wordwrap(3) }}", "aaa\nbbb"),
    ("{{ {'a': [1]}|tojson(indent=2) }}", '{\n  "a": [\n    1\n  ]\n}'),
    ("{{ [1, 2, 3]|sum }}", 6),
    ("{{ [3, 1, 2]|sort|list }}", [1, 2, 3]),
    ("{{ range(5)|map('string')|join }}", "01234"),
    ("{{ [1, 2, 3, 4]|batch(2)|list }}", [[1, 2], [3, 4]]),
    ("{{ [1, 2, 3]|select('odd')|list }}", [1, 3]),
    ("{{ 2 in [1, 2] and 'b' in 'abc' and 1 < 2 < 3 }}", True),
    ("{{ [1, 2, 3][1:] }}", [2, 3]),
    ("{{ 'ab' ~ 1 ~ [2] }}", "ab1[2]"),
    ("{{ (1).to_bytes(2, 'big')|length }}", 2),
    ("{{ 2 ** 100 > 0 }}", True),
    ("{{ dict(a=1) }}", {"a": 1}),
    ("{% for x in range(3) %}{{ loop.index }}/{{ loop.length }} {% endfor %}", "1/3 2/3 3/3 "),
    ("{% for x in range(5) if x is odd %}{{ x }}{% else %}none{% endfor %}", "13"),
    ("{% set s %}{% for x in range(3) %}{{ x }}{% endfor %}{% endset %}[{{ s }}]", "[012]"),
    ("{% filter upper %}ab{% endfilter %}", "AB"),
    ("{{ inputs.big|length }}", 600_000),
]


@pytest.mark.parametrize("text, expected", ORDINARY)
def test_ordinary_templates_still_work(text, expected):
    assert render_string(text, ctx(big="x" * 600_000)) == expected
