"""DynamoDB gives, with the fast paths of ``local/emulation/fast_dynamodb.py``, moto's answers.

Every UpdateItem (conditional PutItem, filtered Scan) below runs twice, on two tables holding the same item: once as
the engine runs it, once with moto's own parsers, traversal, clause search and tree copy put back. Items, answers
and errors must be the same. Scans are read page by page the engine's way and moto's.
"""

from __future__ import annotations

import contextlib
import copy
import re
import uuid

import pytest
from botocore.exceptions import ClientError
from hypothesis import example, given, settings
from hypothesis import strategies as st

NAMES = ["a", "b", "n", "l", "m", "s"]
VALUES = {":s": {"S": "text"}, ":n": {"N": "2"}, ":l": {"L": [{"N": "1"}, {"S": "x"}]}, ":ss": {"SS": ["p", "q"]},
          ":ns": {"NS": ["1", "5"]}, ":m": {"M": {"b": {"N": "1"}}}, ":e": {"S": ""}}
#: Attribute values an item may already hold (types that make some actions fail, as in DynamoDB).
STORED = st.sampled_from([{"S": "old"}, {"N": "7"}, {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]}, {"SS": ["p", "z"]},
                          {"NS": ["5", "9"]}, {"M": {"b": {"N": "3"}, "c": {"S": "k"}}}, {"BOOL": True}])

_placeholder = st.sampled_from(NAMES).map(lambda name: f"#{name}")
_path = st.one_of(_placeholder, st.sampled_from(["#m.#b", "#l[0]", "#l[2]", "#m.c", "b", "#l[1].#b", "pk"]))
_value = st.sampled_from(sorted(VALUES))
_operand = st.one_of(_path, _value)
_set_action = st.one_of(
    st.tuples(_path, _operand).map(lambda p: f"{p[0]} = {p[1]}"),
    st.tuples(_path, _operand, st.sampled_from(["+", "-"]), _operand).map(lambda p: f"{p[0]} = {p[1]} {p[2]} {p[3]}"),
    st.tuples(_path, _path, _value).map(lambda p: f"{p[0]} = if_not_exists({p[1]}, {p[2]})"),
    st.tuples(_path, _operand, _operand).map(lambda p: f"{p[0]} = list_append({p[1]}, {p[2]})"),
)
_clause = st.one_of(
    st.lists(_set_action, min_size=1, max_size=3).map(lambda actions: "SET " + ", ".join(actions)),
    st.lists(_path, min_size=1, max_size=3).map(lambda paths: "REMOVE " + ", ".join(paths)),
    st.lists(st.tuples(_path, st.sampled_from([":n", ":ss", ":ns", ":s"])), min_size=1, max_size=2).map(
        lambda actions: "ADD " + ", ".join(f"{p} {v}" for p, v in actions)),
    st.lists(st.tuples(_path, st.sampled_from([":ss", ":ns", ":n"])), min_size=1, max_size=2).map(
        lambda actions: "DELETE " + ", ".join(f"{p} {v}" for p, v in actions)),
)


@st.composite
def _well_formed(draw) -> str:
    """Actions on distinct attributes, one clause per kind: mostly updates DynamoDB accepts."""
    targets = draw(st.permutations([f"#{name}" for name in NAMES]))
    kinds = draw(st.lists(st.sampled_from(["SET", "REMOVE", "ADD", "DELETE"]), min_size=1, max_size=len(NAMES)))
    clauses: dict[str, list[str]] = {}
    for target, kind in zip(targets, kinds, strict=False):
        if kind == "SET":
            value = draw(st.one_of(_value, st.sampled_from([
                f"if_not_exists({target}, :n)", f"list_append(if_not_exists({target}, :l), :l)", ":n + :n"])))
            clauses.setdefault(kind, []).append(f"{target} = {value}")
        elif kind == "REMOVE":
            clauses.setdefault(kind, []).append(draw(st.sampled_from([target, target, f"{target}[1]"])))
        else:
            clauses.setdefault(kind, []).append(f"{target} {draw(st.sampled_from([':n', ':n', ':ss', ':ns']))}")
    return " ".join(f"{kind} {', '.join(actions)}" for kind, actions in clauses.items())


EXPRESSIONS = st.one_of(_well_formed(), _well_formed(), st.lists(_clause, min_size=1, max_size=3).map(" ".join))
#: Expressions of the project's workflows (image catalog, feedback conversation), and some that fail to parse.
EXAMPLES = [
    "SET #s = :s, #n = if_not_exists(#n, :n) REMOVE #l, #m ADD #a :n",
    "SET #a = :s, #b = :s, #n = :n, #l = :l, #m = :m, #s = if_not_exists(#s, :s) REMOVE b ADD #n :n",
    "SET #l = list_append(#l, :l), #n = #n + :n DELETE #ss :ss",
    "SET #a = :s SET #b = :s", "REMOVE #a, #a", "SET #m.#b = :n, #m = :m", "SET #a = :s REMOVE #a",
    "SET", "SET #a = ", "SET #a = :s,", "REMOVE", "SET #a = unknown_fn(#a)", "SET #a == :s",
]


@contextlib.contextmanager
def motos_update_expressions():
    """Moto's own update expression parser, traversal, clause search and tree copy, while the block runs."""
    from unittest import mock

    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.parsing import ast_nodes, expressions, validators

    from local.emulation.fast_dynamodb import moto_functions

    traverse = moto_functions["traverse"]
    with mock.patch.object(expressions.UpdateExpressionParser, "make", classmethod(moto_functions["make"])), \
            mock.patch.object(ast_nodes.DepthFirstTraverser, "traverse", traverse), \
            mock.patch.object(validators.ActionCountValidator, "traverse", traverse), \
            mock.patch.object(validators.OverlappingPathsValidator, "traverse", traverse), \
            mock.patch.object(ast_nodes.Node, "find_clauses", moto_functions["find_clauses"]), \
            mock.patch.object(validators, "deepcopy", moto_functions["deepcopy"]), \
            mock.patch.object(ConditionExpressionParser, "parse", moto_functions["parse_condition"]):
        yield


@pytest.fixture(scope="module")
def tables(stack):
    """Two tables of the same schema: one updated the engine's way, one moto's way."""
    ddb = stack.client("dynamodb")
    names = [f"expressions-{way}-{uuid.uuid4().hex[:6]}" for way in ("engine", "moto")]
    for name in names:
        ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    yield ddb, names
    for name in names:
        ddb.delete_table(TableName=name)


KEY = {"pk": {"S": "item"}}


def _store(ddb, table: str, item: dict | None) -> None:
    ddb.delete_item(TableName=table, Key=KEY)
    if item is not None:
        ddb.put_item(TableName=table, Item={**KEY, **item})


def _update(ddb, table: str, item: dict | None, expression: str, return_values: str) -> tuple:
    """Store ``item`` (or none), run the update; the answer or the error, and the item as stored afterwards."""
    key = KEY
    _store(ddb, table, item)
    names = {placeholder: placeholder[1:] for placeholder in re.findall(r"#\w+", expression)
             if placeholder[1:] in NAMES}
    values = {placeholder: VALUES[placeholder] for placeholder in re.findall(r":\w+", expression)
              if placeholder in VALUES}
    request = {"TableName": table, "Key": key, "UpdateExpression": expression, "ReturnValues": return_values,
               **({"ExpressionAttributeNames": names} if names else {}),
               **({"ExpressionAttributeValues": values} if values else {})}
    try:
        answer = ("answer", ddb.update_item(**request).get("Attributes"))
    except ClientError as error:
        answer = ("error", error.response["Error"]["Code"], error.response["Error"]["Message"])
    except Exception as error:  # moto failing on a request is an answer to compare too
        answer = ("failure", type(error).__name__, str(error))
    return answer, ddb.get_item(TableName=table, Key=key).get("Item")


@settings(max_examples=100, deadline=None, derandomize=True, database=None)  # the same requests every run
@example(item={"n": {"N": "7"}, "l": {"L": [{"N": "0"}]}}, expression=EXAMPLES[0], return_values="ALL_NEW")
@example(item=None, expression=EXAMPLES[1], return_values="UPDATED_OLD")
@example(item={"l": {"L": []}, "n": {"N": "1"}}, expression=EXAMPLES[2], return_values="UPDATED_NEW")
@given(item=st.one_of(st.none(), st.dictionaries(st.sampled_from(NAMES), STORED, max_size=4)),
       expression=st.one_of(EXPRESSIONS, st.sampled_from(EXAMPLES)),
       return_values=st.sampled_from(["NONE", "ALL_NEW", "ALL_OLD", "UPDATED_NEW", "UPDATED_OLD"]))
def test_updates_store_answer_and_refuse_as_moto_does(tables, item, expression, return_values):
    """The item stored, the attributes answered and the error (code and message) are moto's.

    SET, REMOVE, ADD and DELETE actions, functions, nested paths, list elements, clauses given twice, paths that
    overlap, key attributes, wrong types, names not defined, expressions that do not parse.
    """
    ddb, (engine_table, moto_table) = tables
    engine = _update(ddb, engine_table, item, expression, return_values)
    with motos_update_expressions():
        moto = _update(ddb, moto_table, item, expression, return_values)
    assert engine == moto


def _numbered(root) -> dict[int, int]:
    """Each node of a tree by its position, depth first."""
    from moto.dynamodb.parsing.ast_nodes import Node

    def nodes(node):
        yield node
        for child in node.children or []:
            if isinstance(child, Node):
                yield from nodes(child)

    return {id(node): index for index, node in enumerate(nodes(root))}


def _shape(node, originals: dict) -> tuple:
    """A tree as values: each node's class, its attributes (nodes by shape) and the position of its parent."""
    from moto.dynamodb.parsing.ast_nodes import Node

    def value(v):
        if isinstance(v, Node):
            return _shape(v, originals)
        if isinstance(v, list):
            return [value(child) for child in v]
        return repr(v)

    return (type(node).__name__, originals.get(id(node.parent), "outside"),
            {name: value(v) for name, v in vars(node).items() if name != "parent"})


@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(item=st.one_of(st.none(), st.dictionaries(st.sampled_from(NAMES), STORED, max_size=4)),
       expression=st.one_of(EXPRESSIONS, st.sampled_from(EXAMPLES[:7])))
def test_validated_trees_are_the_ones_moto_builds(tables, item, expression):
    """The tree the validator hands to the executor has moto's shape and parents, or fails with moto's error.

    In that tree the values are resolved and the functions evaluated against the stored item.
    """
    from moto.dynamodb.models import DynamoType, dynamodb_backends
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    from local.aws import ACCOUNT_ID, REGION

    ddb, (name, _) = tables
    _store(ddb, name, item)
    table = dynamodb_backends[ACCOUNT_ID][REGION].get_table(name)
    key = DynamoType({"S": "item"})
    stored = table.get_item(key, None) or Item(key, None, attrs={})
    names = {f"#{n}": n for n in NAMES}

    def validated() -> tuple:
        try:
            tree = UpdateExpressionValidator(UpdateExpressionParser.make(expression), names, VALUES, stored,
                                             table).validate()
        except Exception as error:  # the error is what is compared
            return type(error).__name__, str(error)
        return _shape(tree, _numbered(tree))

    fast = validated()
    with motos_update_expressions():
        assert validated() == fast


def test_expression_trees_are_copied_as_deepcopy_copies_them(stack):
    """The validator's copy of a parsed tree has deepcopy's shape and parents, and shares no node with the tree."""
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    tree = UpdateExpressionParser.make(EXAMPLES[1] + " DELETE #l[1].#b :ss")
    fast, generic = validators.deepcopy(tree), copy.deepcopy(tree)
    assert _shape(fast, _numbered(fast)) == _shape(generic, _numbered(generic)) == _shape(tree, _numbered(tree))
    assert not _numbered(fast).keys() & _numbered(tree).keys()
    assert fast.parent is None and all(child.parent is fast for child in fast.children)


def test_a_parsed_expression_is_shared_unchanged_and_bad_ones_fail_every_time(stack, tables):
    """An expression is parsed once; updating with it leaves its tree as parsed; one that cannot parse fails again."""
    from moto.dynamodb.exceptions import InvalidUpdateExpression
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    expression = EXAMPLES[0]
    tree = UpdateExpressionParser.make(expression)
    before = _shape(tree, {})
    ddb, (table, _) = tables
    assert _update(ddb, table, {"n": {"N": "7"}}, expression, "ALL_NEW")[0][0] == "answer"
    assert UpdateExpressionParser.make(expression) is tree and _shape(tree, {}) == before
    for _ in range(2):
        with pytest.raises(InvalidUpdateExpression):
            UpdateExpressionParser.make("SET #a = ")


_comparison = st.tuples(_operand, st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), _operand).map(" ".join)
_function = st.one_of(
    st.builds("attribute_exists({})".format, _path), st.builds("attribute_not_exists({})".format, _path),
    st.builds("begins_with({}, :s)".format, _path), st.tuples(_path, _value).map(lambda p: f"contains({p[0]}, {p[1]})"),
    st.tuples(_path, _value).map(lambda p: f"size({p[0]}) > {p[1]}"),
    st.builds("{} BETWEEN :n AND :n".format, _path), st.builds("{} IN (:s, :n, :e)".format, _path),
    st.tuples(_path, st.sampled_from(["<", ">="])).map(lambda p: f"{p[0]} {p[1]} :n"))
CONDITIONS = st.recursive(
    st.one_of(_comparison, _function),
    lambda inner: st.one_of(st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(" ".join),
                            st.builds("NOT {}".format, inner), st.builds("({})".format, inner)),
    max_leaves=4)


def _conditional_writes(ddb, table: str, item: dict | None, condition: str, number: str) -> tuple:
    """A conditional PutItem on ``item`` (or none) and a Scan filtered by the same condition: answers and item.

    ``:n`` is ``number``: the same condition comes with other values.
    """
    _store(ddb, table, item)
    names = {placeholder: placeholder[1:] for placeholder in re.findall(r"#\w+", condition)
             if placeholder[1:] in NAMES}
    values = {placeholder: {"N": number} if placeholder == ":n" else VALUES[placeholder]
              for placeholder in re.findall(r":\w+", condition) if placeholder in VALUES}
    extra = {**({"ExpressionAttributeNames": names} if names else {}),
             **({"ExpressionAttributeValues": values} if values else {})}
    answers = []
    for call, request in ((ddb.scan, {"TableName": table, "FilterExpression": condition}),
                          (ddb.put_item, {"TableName": table, "Item": {**KEY, "written": {"BOOL": True}},
                                          "ConditionExpression": condition})):
        try:
            answer = call(**request, **extra)
            answers.append(("answer", answer.get("Items"), answer.get("Count")))
        except ClientError as error:
            answers.append(("error", error.response["Error"]["Code"], error.response["Error"]["Message"]))
        except Exception as error:  # moto failing on a request is an answer to compare too
            answers.append(("failure", type(error).__name__, str(error)))
    return answers, ddb.get_item(TableName=table, Key=KEY).get("Item")


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@example(item={"s": {"S": "old"}, "n": {"N": "7"}}, number="2",
         condition="attribute_exists(#a) OR #n < :n OR (#s = :s AND attribute_exists(#m) AND #n < :n)")
@given(item=st.one_of(st.none(), st.dictionaries(st.sampled_from(NAMES), STORED, max_size=4)), condition=CONDITIONS,
       number=st.sampled_from(["2", "8"]))
def test_conditions_filter_and_refuse_as_moto_does(tables, item, condition, number):
    """Conditional writes and filtered scans keep or refuse what moto's parser keeps or refuses.

    Comparisons, functions, BETWEEN, IN, AND, OR, NOT and parentheses; a condition parsed once is evaluated again
    on other items.
    """
    ddb, (engine_table, moto_table) = tables
    numbers = [number, "10" if number == "2" else "2"]  # then the same condition with another value
    engine = [_conditional_writes(ddb, engine_table, item, condition, n) for n in numbers]
    with motos_update_expressions():
        moto = [_conditional_writes(ddb, moto_table, item, condition, n) for n in numbers]
    assert engine == moto


_SCANNED_ITEMS = st.lists(st.fixed_dictionaries(
    {"status": st.sampled_from(["NEW", "NEW-2", "DONE"]), "n": st.integers(-50, 50),
     "history": st.lists(st.integers(0, 9), min_size=2, max_size=3)},
    optional={"note": st.text(max_size=30), "tags": st.sets(st.sampled_from("abc"), min_size=1).map(sorted),
              "detail": st.fixed_dictionaries({"a": st.integers(0, 3), "b": st.text(max_size=5)})}),
    max_size=12)
_SCAN_FILTERS = [None, "begins_with(#s, :p)", "#n > :zero", "attribute_exists(#d.a) AND NOT contains(#t, :b)"]


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(items=_SCANNED_ITEMS, ranged=st.booleans(), scan_filter=st.booleans(), expression=st.sampled_from(_SCAN_FILTERS),
       projection=st.sampled_from([None, [["status"]], [["detail", "a"], ["n"], ["detail", "b"]],
                                   [["history[1]"], ["tags"], ["missing"]]]),
       limit=st.sampled_from([None, 1, 3]), page_bytes=st.sampled_from([1_000_000, 100, 200]))
def test_scans_read_pages_and_copies_as_moto_read_them(stack, items, ranged, scan_filter, expression, projection,
                                                         limit, page_bytes):
    """Every page of a Scan (filters, projection, Limit, the 1 MB page made small) is the one moto's scan gave.

    Each page's items, ScannedCount and LastEvaluatedKey are equal; the items answered are copies (changing
    one leaves the table as it was); scanning changes nothing in the table.
    """
    from unittest import mock

    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models import table as tables
    from moto.dynamodb.models.dynamo_type import DynamoType

    from local.aws import ACCOUNT_ID, REGION
    from local.emulation.fast_dynamodb import moto_functions

    ddb, name = stack.client("dynamodb"), f"scan-{uuid.uuid4().hex[:8]}"
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}] + ([{"AttributeName": "sk", "KeyType": "RANGE"}] * ranged)
    ddb.create_table(TableName=name, KeySchema=keys, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=[
        {"AttributeName": key["AttributeName"], "AttributeType": "S"} for key in keys])
    for index, item in enumerate(items):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"p{index % 4}"}, "sk": {"S": f"s{index}"},
                                           "status": {"S": item["status"]}, "n": {"N": str(item["n"])},
                                           **({"note": {"S": item["note"]}} if "note" in item else {}),
                                           **({"tags": {"SS": item["tags"]}} if "tags" in item else {}),
                                           **({"detail": {"M": {k: {"S": str(v)} if k == "b" else {"N": str(v)}
                                                                for k, v in item["detail"].items()}}}
                                              if "detail" in item else {}),
                                           "history": {"L": [{"N": str(v)} for v in item["history"]]}})
    table = dynamodb_backends[ACCOUNT_ID][REGION].get_table(name)
    stored = [item.to_json() for item in table.all_items()]
    filters = {"status": ("BEGINS_WITH", [DynamoType({"S": "NEW"})])} if scan_filter else {}
    condition = get_filter_expression(expression, {"#s": "status", "#n": "n", "#d": "detail", "#t": "tags"},
                                      {":p": {"S": "NEW"}, ":zero": {"N": "0"}, ":b": {"S": "b"}})

    def pages(scan) -> list:
        found, start = [], None
        while True:
            answered, scanned, start = scan(table, filters, limit, start, condition if expression else None, None,
                                            False, projection)
            found.append(([item.to_json() for item in answered], scanned, start))
            if start is None or len(found) > 50:
                return found

    with mock.patch.object(tables, "RESULT_SIZE_LIMIT", page_bytes):
        fast = pages(tables.Table.scan)
        assert fast == pages(moto_functions["scan"])
        answered, _, _ = tables.Table.scan(table, {}, None, None, None, None, False, projection)
    for item in answered:  # nested lists and maps too: a shallow copy would share them with the table
        for value in item.attrs.values():
            if isinstance(value.value, list | dict):
                value.value.clear()
        item.attrs.clear()
    assert [item.to_json() for item in table.all_items()] == stored
    ddb.delete_table(TableName=name)
