"""workflows.expressions: rendering, conditions, static analysis and the sandbox."""

from __future__ import annotations

import pytest

from workflows.expressions import (
    ExpressionError,
    WorkflowSecrets,
    analyze,
    evaluate_condition,
    is_template,
    iter_strings,
    render_string,
    render_value,
    whole_expression,
)


def ctx(**inputs):
    return {
        "inputs": {"x": 3, "name": "Ada", "xs": [1, 2], "obj": {"k": "v"}, "flag": "false", **inputs},
        "nodes": {"a": {"output": {"id": 7, "tags": ["t1", "t2"], "ok": True}, "status": "succeeded"},
                  "b": {"output": None, "status": "succeeded"}},
        "secrets": WorkflowSecrets(),
    }


# --------------------------------------------------------------------------
# render_string / render_value
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("{{ inputs.x }}", 3),
    ("  {{ inputs.x }}\n", 3),
    ("{{ inputs.xs }}", [1, 2]),
    ("{{ inputs.obj }}", {"k": "v"}),
    ("{{ nodes.a.output }}", {"id": 7, "tags": ["t1", "t2"], "ok": True}),
    ("{{ nodes['a'].output.tags[1] }}", "t2"),
    ("{{ nodes.b.output }}", None),
    ("{{ inputs.x > 2 }}", True),
    ("{{ inputs.x * 2 + 1 }}", 7),
    ("{{ inputs.xs | length }}", 2),
    ("{{ nodes.a.output.ok }}", True),
])
def test_lone_expression_keeps_native_type(text, expected):
    value = render_string(text, ctx())
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text, expected", [
    ("id={{ inputs.x }}", "id=3"),
    ("{{ inputs.x }}{{ inputs.x }}", "33"),
    ("{{ inputs.x }} and {{ inputs.name }}", "3 and Ada"),
    ("items: {{ inputs.xs }}", "items: [1, 2]"),
    ("{% if inputs.x > 1 %}big{% else %}small{% endif %}", "big"),
    ("{% for i in inputs.xs %}<{{ i }}>{% endfor %}", "<1><2>"),
    ("{{ '<b>' }}", "<b>"),  # no autoescape
    ("x {{ '<b>' }}", "x <b>"),
])
def test_interpolation_renders_a_string(text, expected):
    assert render_string(text, ctx()) == expected


@pytest.mark.parametrize("text", ["plain", "", "{ inputs.x }", "price: $5 {not a template}"])
def test_non_template_returned_as_is(text):
    assert render_string(text, {}) is text


def test_render_value_nested():
    value = {
        "a": "{{ inputs.x }}",
        "b": ["{{ inputs.name }}!", {"c": "{{ nodes.a.output.tags }}"}, 5, None, True],
        "d": {"e": {"f": "static"}},
        "n": 1.5,
    }
    assert render_value(value, ctx()) == {
        "a": 3,
        "b": ["Ada!", {"c": ["t1", "t2"]}, 5, None, True],
        "d": {"e": {"f": "static"}},
        "n": 1.5,
    }


def test_render_value_does_not_render_keys_and_keeps_input():
    value = {"{{ inputs.x }}": "{{ inputs.x }}"}
    assert render_value(value, ctx()) == {"{{ inputs.x }}": 3}
    assert value == {"{{ inputs.x }}": "{{ inputs.x }}"}


@pytest.mark.parametrize("scalar", [1, 2.5, None, True, False])
def test_render_value_scalars(scalar):
    assert render_value(scalar, {}) is scalar


def test_whole_expression():
    assert whole_expression("{{ a.b }}") == " a.b "
    assert whole_expression(" \n{{x}}\t") == "x"
    assert whole_expression("{{ a }} {{ b }}") is None
    assert whole_expression("x {{ a }}") is None
    assert whole_expression("{% if a %}{{ a }}{% endif %}") is None
    assert whole_expression("plain") is None


def test_is_template():
    assert is_template("{{ x }}")
    assert is_template("{% if x %}{% endif %}")
    assert not is_template("{ x }")
    assert not is_template("")


def test_iter_strings_paths():
    value = {"a": "s", "b": [1, "t", {"c": "u"}], "d": 2}
    assert list(iter_strings(value, "$.config")) == [
        ("$.config.a", "s"), ("$.config.b[1]", "t"), ("$.config.b[2].c", "u")]


# --------------------------------------------------------------------------
# evaluate_condition
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("inputs.x > 2", True),
    ("inputs.x > 5", False),
    ("{{ inputs.x > 2 }}", True),
    ("{{ inputs.x > 5 }}", False),
    (" {{ inputs.x == 3 }} ", True),
    ("nodes.a.output.ok", True),
    ("not nodes.a.output.ok", False),
    ("nodes.a.output.id == 7 and inputs.name == 'Ada'", True),
    ("inputs.flag", False),  # the string "false"
    ("{{ inputs.flag }}", False),
    ("'false'", False),
    ("'  FALSE  '", False),
    ("'no'", False),
    ("'0'", False),
    ("'none'", False),
    ("'null'", False),
    ("''", False),
    ("'yes'", True),
    ("'anything'", True),
    ("0", False),
    ("1", True),
    ("[]", False),
    ("inputs.xs", True),
    ("{}", False),
    ("none", False),
    ("nodes.b.output", False),
    ("true", True),
])
def test_evaluate_condition_truthiness(text, expected):
    assert evaluate_condition(text, ctx()) is expected


def test_evaluate_condition_syntax_error():
    with pytest.raises(ExpressionError, match="syntax error"):
        evaluate_condition("inputs.x >", ctx())


def test_evaluate_condition_secrets_raise():
    with pytest.raises(ExpressionError, match="secrets.TOKEN is only available inside activity-run nodes"):
        evaluate_condition("secrets.TOKEN == 'x'", ctx())


@pytest.mark.parametrize("text", ["inputs.missing", "{{ nodes.a.output.nope }}", "unknown_name"])
def test_evaluate_condition_undefined_is_expression_error(text):
    with pytest.raises(ExpressionError):
        evaluate_condition(text, ctx())


# --------------------------------------------------------------------------
# Undefined values and runtime errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("hello {{ inputs.missing }}", "'dict object' has no attribute 'missing' in 'hello {{ inputs.missing }}'"),
    ("{{ nope }} x", "'nope' is undefined in '{{ nope }} x'"),
    ("{{ inputs.missing.deeper }}", "'dict object' has no attribute 'missing' in '{{ inputs.missing.deeper }}'"),
    ("{{ nodes.zz.output }}", "'dict object' has no attribute 'zz' in '{{ nodes.zz.output }}'"),
])
def test_strict_undefined_becomes_expression_error(text, message):
    with pytest.raises(ExpressionError) as info:
        render_string(text, ctx())
    assert str(info.value) == message


@pytest.mark.parametrize("text", ["{{ inputs.missing }}", "{{ nope }}", "{{ nodes.a.output.nope }}"])
def test_lone_undefined_becomes_expression_error(text):
    with pytest.raises(ExpressionError, match="undefined|no attribute"):
        render_string(text, ctx())


def test_render_value_lone_undefined_becomes_expression_error():
    with pytest.raises(ExpressionError):
        render_value({"url": "{{ inputs.missing }}"}, ctx())


def test_runtime_error_becomes_expression_error():
    with pytest.raises(ExpressionError) as info:
        render_string("{{ inputs.x / 0 }}", ctx())
    assert str(info.value) == "ZeroDivisionError: division by zero in '{{ inputs.x / 0 }}'"


def test_sandbox_range_limit_is_expression_error():
    with pytest.raises(ExpressionError, match="OverflowError"):
        render_string("{{ range(10**9) | list | length }}", ctx())


@pytest.mark.parametrize("text", ["{{ inputs.x + }}", "{{ inputs.x", "a {{ }} b", "{% if %}"])
def test_render_syntax_error(text):
    with pytest.raises(ExpressionError, match="^syntax error"):
        render_string(text, ctx())


def test_mutation_of_context_blocked():
    c = ctx()
    with pytest.raises(ExpressionError, match="unsafe expression"):
        render_string("{{ inputs.xs.append(9) }}", c)
    with pytest.raises(ExpressionError, match="unsafe expression"):
        render_string("x {{ inputs.obj.update({'k': 1}) }}", c)
    assert c["inputs"]["xs"] == [1, 2]
    assert c["inputs"]["obj"] == {"k": "v"}


# --------------------------------------------------------------------------
# WorkflowSecrets
# --------------------------------------------------------------------------

def test_workflow_secrets_attribute_raises():
    with pytest.raises(ExpressionError) as info:
        WorkflowSecrets().TOKEN
    assert str(info.value) == ("secrets.TOKEN is only available inside activity-run nodes, never in edge "
                               "conditions, delays or sub-workflow inputs")


def test_workflow_secrets_item_raises():
    with pytest.raises(ExpressionError, match=r"^secrets\.API_KEY is only available"):
        WorkflowSecrets()["API_KEY"]


@pytest.mark.parametrize("text", ["{{ secrets.TOKEN }}", "Bearer {{ secrets['TOKEN'] }}"])
def test_workflow_secrets_in_render(text):
    with pytest.raises(ExpressionError, match=r"secrets\.TOKEN is only available"):
        render_string(text, ctx())


# --------------------------------------------------------------------------
# analyze
# --------------------------------------------------------------------------

def test_analyze_node_refs_attr_and_item():
    found = analyze("{{ nodes.a.output }} {{ nodes['b'].output.x }} {{ inputs.q }}")
    assert found.node_refs == {"a", "b"}
    assert found.names == {"nodes", "inputs"}
    assert found.unsafe == []
    assert found.dynamic_node_access is False


def test_analyze_node_refs_in_statements_and_filters():
    found = analyze("{% for t in nodes.a.output.tags %}{{ t | upper }}{% endfor %}{{ nodes.c.output | length }}")
    assert found.node_refs == {"a", "c"}
    assert found.names == {"nodes"}


def test_analyze_loop_variables_are_not_unknown_names():
    found = analyze("{% for t in inputs.xs %}{{ t }}{% endfor %}{% set y = 1 %}{{ y }}")
    assert found.names == {"inputs"}


def test_analyze_dynamic_node_access():
    found = analyze("{{ nodes[inputs.which].output }}")
    assert found.dynamic_node_access is True
    assert found.node_refs == set()
    assert found.names == {"nodes", "inputs"}


def test_analyze_unknown_names():
    assert analyze("{{ foo.bar }} {{ inputs.x }}").names == {"foo", "inputs"}


def test_analyze_plain_text():
    found = analyze("no template here")
    assert (found.names, found.node_refs, found.unsafe, found.dynamic_node_access) == (set(), set(), [], False)


@pytest.mark.parametrize("text", ["{{ x", "{{ a + }}", "{% for %}", "{% endif %}"])
def test_analyze_syntax_error(text):
    with pytest.raises(ExpressionError, match=r"^syntax error at line 1: "):
        analyze(text)


def test_analyze_syntax_error_reports_line():
    with pytest.raises(ExpressionError, match=r"^syntax error at line 3: "):
        analyze("line one\nline two\n{{ broken + }}")


@pytest.mark.parametrize("text", ["{{ inputs.x | nosuchfilter }}", "{{ inputs.x is nosuchtest }}"])
def test_analyze_unknown_filter_is_expression_error(text):
    with pytest.raises(ExpressionError):
        analyze(text)


def test_render_unknown_filter_is_expression_error():
    with pytest.raises(ExpressionError, match="No filter named 'nosuchfilter'"):
        render_string("{{ inputs.x | nosuchfilter }}", ctx())


# --------------------------------------------------------------------------
# Sandbox escapes: rejected statically and at render time
# --------------------------------------------------------------------------

ESCAPES_STATIC = [
    ("{{ ''.__class__.__mro__ }}", {"__class__", "__mro__"}),
    ("{{ ().__class__.__bases__[0].__subclasses__() }}", {"__class__", "__bases__", "__subclasses__"}),
    ("{{ x.__globals__ }}", {"__globals__"}),
    ("{{ cycler.__init__.__globals__ }}", {"__init__", "__globals__"}),
    ("{{ lipsum.__globals__ }}", {"__globals__"}),
    ("{{ self.__dict__ }}", {"__dict__", "self"}),
    ("{{ nodes['__class__'] }}", {"__class__"}),
    ("{{ inputs['__class__']['__base__'] }}", {"__class__", "__base__"}),
    ("{{ nodes.a.output._private }}", {"_private"}),
    ("hello {{ range.__self__ }}", {"__self__"}),
    ("{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}", {"__class__", "__mro__"}),
]


@pytest.mark.parametrize("text, unsafe", ESCAPES_STATIC, ids=[t for t, _ in ESCAPES_STATIC])
def test_escape_flagged_by_analyze(text, unsafe):
    assert set(analyze(text).unsafe) == unsafe


ATTR_FILTER_ESCAPES = [
    "{{ inputs|attr('__class__') }}",
    "{{ (''|attr('__class__')).mro() }}",
    "{{ ''|attr('__cl' ~ 'ass__') }}",
]


@pytest.mark.parametrize("text", ATTR_FILTER_ESCAPES)
def test_attr_filter_escape_flagged_by_analyze(text):
    assert analyze(text).unsafe != []


def test_request_application_is_an_unknown_name():
    found = analyze("{{ request.application }}")
    assert found.names == {"request"}  # reported by validation as expression_unknown_name
    assert found.unsafe == []


# At render time every escape must raise ExpressionError. Interpolated templates
# always stringify the result, so Jinja's unsafe-undefined raises SecurityError.
RENDER_ESCAPES_INTERPOLATED = [
    "x {{ ''.__class__.__mro__ }}",
    "x {{ ().__class__.__bases__[0].__subclasses__() }}",
    "x {{ self.__dict__ }}",
    "x {{ nodes['__class__'] }}",
    "x {{ inputs|attr('__class__') }}",
    "x {{ ''|attr('__cl' ~ 'ass__') }}",
    "x {{ (''|attr('__class__')).mro() }}",
    "x {{ '{0.__class__}'.format(1) }}",
]


@pytest.mark.parametrize("text", RENDER_ESCAPES_INTERPOLATED)
def test_escape_rejected_at_render_interpolated(text):
    with pytest.raises(ExpressionError, match="^unsafe expression: access to attribute '__"):
        render_string(text, ctx())


# A lone `{{ expr }}` goes through compile_expression. These raise today:
RENDER_ESCAPES_LONE_OK = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ (''|attr('__class__')).mro() }}",
    "{{ '{0.__class__}'.format(1) }}",
]


@pytest.mark.parametrize("text", RENDER_ESCAPES_LONE_OK)
def test_escape_rejected_at_render_lone(text):
    with pytest.raises(ExpressionError, match="^unsafe expression"):
        render_string(text, ctx())


# ...and these come back as an (inert) Undefined object instead of an error.
RENDER_ESCAPES_LONE_BUG = [
    "{{ self.__dict__ }}",
    "{{ nodes['__class__'] }}",
    "{{ inputs|attr('__class__') }}",
    "{{ ''|attr('__class__') }}",
]

# Jinja's lipsum/cycler globals are removed, and range is the sandbox's safe
# range: poking at them is an error, just not an "unsafe" one.
@pytest.mark.parametrize("text", ["{{ lipsum.__globals__ }}", "x {{ cycler.__init__.__globals__ }}",
                                  "{{ range.__self__ }}"])
def test_removed_globals_and_safe_range_reject_probing(text):
    with pytest.raises(ExpressionError, match="is undefined|has no attribute|is unsafe"):
        render_string(text, ctx())



@pytest.mark.parametrize("text", RENDER_ESCAPES_LONE_BUG)
def test_escape_rejected_at_render_lone_undefined(text):
    with pytest.raises(ExpressionError, match="unsafe"):
        render_string(text, ctx())


@pytest.mark.parametrize("text", ["{{ x.__globals__ }}", "{{ request.application }}"])
def test_unknown_root_rejected_at_render(text):
    with pytest.raises(ExpressionError, match="is undefined"):
        render_string(text, ctx())


def test_private_attribute_on_plain_object_blocked():
    class Thing:
        _secret = "s"
        public = "p"

    assert render_string("{{ inputs.t.public }}", {"inputs": {"t": Thing()}}) == "p"
    with pytest.raises(ExpressionError, match="unsafe"):
        render_string("x {{ inputs.t._secret }}", {"inputs": {"t": Thing()}})


@pytest.mark.parametrize(("text", "flagged"), [
    ("{{ inputs | attr(inputs.k) }}", "attr(<computed name>)"),  # the name is not known statically
    ("{{ inputs | attr('_p') }}", "_p"),                           # a single underscore is private too
    ("{{ inputs | attr('__class__') }}", "__class__"),
])
def test_attr_with_a_computed_or_private_name_is_flagged_statically(text, flagged):
    """Issue 10.14: the static layer, not only the runtime sandbox, refuses these."""
    assert flagged in analyze(text).unsafe


def test_attr_with_a_public_literal_name_is_not_flagged():
    assert analyze("{{ inputs | attr('items') }}").unsafe == []
