"""Speed: DynamoDB's Scan, update and condition expressions, with less work (behaviour unchanged).

- :func:`_scan_copying_only_what_is_returned`: a Scan copied every item it read, filtered or not, and sized each
  item twice.

An UpdateItem with the image catalog's expression (15 actions) took 4.8 ms in moto, most of it in the expression:

- :func:`_parse_each_update_expression_once`: the expression was tokenised and parsed twice per request;
- :func:`_traverse_choosing_each_processor_once`: each of the validator's ten passes over the tree built its
  processor table twice per node and checked the node's class against it through ``ABCMeta`` (about 1,100 visits
  per request);
- :func:`_find_clauses_once_per_subtree`: two of the passes collect the clauses under every node of the tree,
  walking each subtree again from every node above it;
- :func:`_copy_expression_trees_directly`: the validator's copy of the tree went through ``copy.deepcopy``'s
  generic reconstruction, node by node.

Now 2.7 ms. And :func:`_parse_each_condition_once`: a conditional write parsed its ConditionExpression twice (0.23
ms each for an idempotency record's). Each is installed by ``fast_paths`` and checked by
``tests/unit/test_fast_dynamodb.py``, which compares items, pages, answers and errors with moto's own code.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from typing import Any

#: moto's own functions, kept by the patches below for the test that compares the two ways.
moto_functions: dict[str, Any] = {}


def _parse_each_update_expression_once() -> None:
    """``UpdateExpressionParser.make`` tokenised and parsed the expression for the request and again for the item.

    The tree depends on the expression's text alone. Every reader of it leaves it as it is: the request handlers
    collect the names and values it uses, and the validator works on a copy of it (``Validator.__init__``). The
    most recent 512 trees are kept; an expression that does not parse raises as before, every time.
    """
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    original = moto_functions["make"] = UpdateExpressionParser.make.__func__
    parsed = functools.lru_cache(maxsize=512)(original)

    def make(cls: type, expression_str: str) -> Any:
        return parsed(cls, expression_str)

    UpdateExpressionParser.make = classmethod(make)


def _traverse_choosing_each_processor_once() -> None:
    """``DepthFirstTraverser`` built its processor table (``_processing_map``) twice per node it visited.

    A processor's table names its own bound methods: it is read once per pass, and which entry serves a node
    (the first whose class the node is an instance of, as moto's ``process``) is looked up once per node class.
    The nodes are visited, pre-processed and replaced in moto's order.
    """
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node

    moto_functions["traverse"] = DepthFirstTraverser.traverse
    is_node: dict[type, bool] = {}

    def traverse(self: Any, node: Any) -> Any:
        table = list(self._processing_map().items())
        chosen: dict[type, Any] = {}
        pre_processing_of_child = self.pre_processing_of_child

        def processor_of(kind: type) -> Any:
            return next((processor for key, processor in table if issubclass(kind, key)), None)

        def visit(node: Any, child_id: int = -1) -> Any:
            kind = type(node)
            if kind not in is_node:
                is_node[kind] = issubclass(kind, Node)
            if not is_node[kind]:
                return node
            parent_node = node.parent
            if node.children is not None:
                for index, child_node in enumerate(node.children):
                    pre_processing_of_child(node, index)
                    visit(child_node, index)
            if kind not in chosen:
                chosen[kind] = processor_of(kind)
            processor = chosen[kind]
            if processor is not None:
                node = processor(node)
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
            return node

        return visit(node)

    DepthFirstTraverser.traverse = traverse


def _find_clauses_once_per_subtree() -> None:
    """Two passes of the validator collect the actions and clauses under each node, walking every subtree again.

    ``ActionCountValidator`` and ``OverlappingPathsValidator`` call ``find_clauses`` on every node of the tree,
    bottom up, and neither changes the tree: during their passes each node's answer is kept, built from its
    children's (a new list for each caller, as before).
    """
    from moto.dynamodb.parsing import ast_nodes, validators

    original = moto_functions["find_clauses"] = ast_nodes.Node.find_clauses
    descended = (ast_nodes.Expression, ast_nodes.UpdateExpressionFunction)
    passes = threading.local()

    def find_clauses(self: Any, clause_types: Any) -> list[Any]:
        found = getattr(passes, "found", None)
        if found is None:
            return original(self, clause_types)
        key = (id(self), tuple(clause_types))
        if key not in found:
            clauses = []
            for child in self.children or []:
                if type(child) in clause_types:
                    clauses.append(child)
                elif isinstance(child, descended):
                    clauses.extend(child.find_clauses(clause_types))
            found[key] = clauses
        return list(found[key])

    def remembering(traverse: Any) -> Any:
        def traverse_remembering(self: Any, node: Any) -> Any:
            outer, passes.found = getattr(passes, "found", None), {}
            try:
                return traverse(self, node)
            finally:
                passes.found = outer

        return traverse_remembering

    ast_nodes.Node.find_clauses = find_clauses
    for validator in (validators.ActionCountValidator, validators.OverlappingPathsValidator):
        validator.traverse = remembering(ast_nodes.DepthFirstTraverser.traverse)


def _copy_expression_trees_directly() -> None:
    """The validator copied the expression's tree through ``copy.deepcopy``'s generic reconstruction.

    A tree node keeps its state in its ``__dict__`` (``type``, ``children``, ``parent``) and has no copy hooks of
    its own: it is copied here as ``copy.deepcopy`` copies it (a new instance registered in the memo before its
    state, its children list registered before its elements, the parent found in the memo), and every other value
    (names, indexes, typed values) still goes through ``copy.deepcopy``. The validator module's other use of
    ``deepcopy``, a list value of ``list_append``, takes the same way.
    """
    from moto.dynamodb.parsing import ast_nodes, validators

    moto_functions["deepcopy"] = validators.deepcopy
    plain: dict[type, bool] = {}

    def is_plain_node(kind: type) -> bool:
        if kind not in plain:
            plain[kind] = issubclass(kind, ast_nodes.Node) and not any(
                hook in vars(cls) for cls in kind.__mro__[:-1]
                for hook in ("__deepcopy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__"))
        return plain[kind]

    def copy_node(node: Any, memo: dict[int, Any]) -> Any:
        new = type(node).__new__(type(node))
        memo[id(node)] = new
        state = {}
        for name, value in node.__dict__.items():
            if name == "children" and type(value) is list and id(value) not in memo:
                children: list[Any] = []
                memo[id(value)] = children
                children.extend(deepcopy(child, memo) for child in value)
                state[name] = children
            else:
                state[name] = deepcopy(value, memo)
        new.__dict__.update(state)
        return new

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if not is_plain_node(type(value)):
            return copy.deepcopy(value, memo)
        memo = {} if memo is None else memo
        found = memo.get(id(value))
        return found if found is not None else copy_node(value, memo)

    validators.deepcopy = deepcopy


def _parse_each_condition_once() -> None:
    """A ConditionExpression (or FilterExpression) was parsed for the request's checks and again for the item.

    What ``ConditionExpressionParser.parse`` gives depends on the expression and its names and values alone: the
    condition (a tree of operators the evaluation only reads) and the names and values it used. It is kept for the
    most recent 512 expressions with their names and values (as JSON text); each parser still gets the names and
    values added to lists of its own (a caller extends them), and an expression that does not parse raises as
    before, every time.
    """
    from moto.dynamodb.comparisons import ConditionExpressionParser

    original = moto_functions["parse_condition"] = ConditionExpressionParser.parse
    parsed: dict[tuple[str, str, str], tuple[Any, tuple[str, ...], tuple[str, ...]]] = {}
    lock = threading.Lock()

    def parse(self: Any) -> Any:
        try:
            key = (self.condition_expression, json.dumps(self.expression_attribute_names),
                   json.dumps(self.expression_attribute_values))
        except TypeError:  # a value JSON cannot hold: no key for it
            return original(self)
        found = parsed.get(key)
        if found is None:
            names_before, values_before = len(self.expr_attr_names_found), len(self.expr_attr_values_found)
            condition = original(self)
            with lock:
                parsed[key] = (condition, tuple(self.expr_attr_names_found[names_before:]),
                               tuple(self.expr_attr_values_found[values_before:]))
                if len(parsed) > 512:
                    parsed.pop(next(iter(parsed)))
            return condition
        condition, names, values = found
        self.expr_attr_names_found.extend(names)
        self.expr_attr_values_found.extend(values)
        return condition

    ConditionExpressionParser.parse = parse


#: How ``find_nested_key`` reads a path's first name as a list element (``name[2]``).
_LIST_ELEMENT = re.compile(r"(.+)\[(\d+)\]$")


def _scan_copying_only_what_is_returned() -> None:
    """A Scan deep-copied every item it read, even those its filter then dropped, and sized each item twice.

    Moto copies each item that passes the legacy ScanFilter (all of them without one), applies the
    FilterExpression to the copies, projects them, and computes each item's size (its whole tree) twice.

    The items are now read in place (the backend's lock is held, see ``dynamodb.py``; filters and sizes only
    read), and only what the answer holds is copied: a projection builds new attributes from the stored item's
    projected attributes alone, an unprojected item is deep-copied as before, because its answer is serialised
    after the lock is released. Limit, the 1 MB page, ScannedCount and LastEvaluatedKey are counted as moto
    counts them (moto 5.2.5's code otherwise). Scans of an index keep moto's way.
    """
    from botocore.utils import merge_dicts
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models import table as tables
    from moto.dynamodb.models.utilities import find_nested_key

    original = moto_functions["scan"] = tables.Table.scan

    def passes(item: Any, filters: dict[str, Any]) -> bool:
        for name, (operator, operands) in filters.items():
            attribute = item.attrs.get(name)
            if attribute:
                if not attribute.compare(operator, operands):
                    return False
            elif operator != "NULL":
                return False
        return True

    def project(item: Any, paths: list[list[str]]) -> Any:
        """``Item.project``, converting only the attributes each path starts at (moto converts them all per path).

        Each path reads one top-level attribute (``name`` or ``name[i]``), from a fresh conversion as in moto.
        """
        found: dict[str, Any] = {}
        for path in paths:
            listed = _LIST_ELEMENT.match(path[0])
            name = listed.group(1) if listed else path[0]
            attribute = item.attrs.get(name)
            plain = {} if attribute is None else {name: dynamo_type.deserializer.deserialize(
                attribute.to_regular_json())}
            merge_dicts(found, find_nested_key(path, plain))
        return dynamo_type.Item(hash_key=item.hash_key, range_key=item.range_key,
                                attrs=dynamo_type.serializer.serialize(found)["M"])

    def scan(self, filters, limit, exclusive_start_key, filter_expression=None, index_name=None,
             consistent_read=False, projection_expression=None, segments=(None, None)):
        if index_name:
            return original(self, filters, limit, exclusive_start_key, filter_expression, index_name,
                            consistent_read, projection_expression, segments)
        read: list[Any] = []
        read_size = scanned_count = 0
        last_evaluated_key = None
        key_attrs, range_attrs = [self.hash_key_attr], [self.range_key_attr]
        previous_page = exclusive_start_key is not None
        for item in self.all_items():
            if not item.is_within_segment(segments):
                continue
            if previous_page:
                if self._item_comes_before_dct(item, exclusive_start_key, key_attrs, range_attrs, True):
                    continue
                previous_page = False
            size = item.size()
            if len(read) == limit or read_size + size > tables.RESULT_SIZE_LIMIT:
                last_evaluated_key = self._get_last_evaluated_key(read[-1], index_name)
                break
            if passes(item, filters):
                read.append(item)
                read_size += size
            scanned_count += 1
        if filter_expression is not None:
            read = [item for item in read if filter_expression.expr(item)]
        if projection_expression:
            return [project(item, projection_expression) for item in read], scanned_count, last_evaluated_key
        return [copy.deepcopy(item) for item in read], scanned_count, last_evaluated_key

    tables.Table.scan = scan


def install() -> None:
    """Install the DynamoDB fast paths (``fast_paths.install`` calls it)."""
    _scan_copying_only_what_is_returned()
    _parse_each_condition_once()
    _parse_each_update_expression_once()
    _traverse_choosing_each_processor_once()
    _find_clauses_once_per_subtree()
    _copy_expression_trees_directly()
