"""Speed: moto's response serializer, with less work per member (the same JSON and XML; installed by ``fast_paths``).

moto writes every answer by walking the operation's output shape and asking an attribute picker, for each
member, under which names the result object may hold it (the member's own, its snake_case form, aliases).

- :func:`_pick_response_attributes_by_known_names`: the names were worked out again for every member of every
  response;
- :func:`_serialize_plain_structures_directly`: a result held in plain dicts went through the picker member by
  member (a history event has about 60 members, most of them absent: 22 ms for a 95-event history);
- :func:`_serialize_dynamodb_attribute_values_directly`: each of the ten members of every DynamoDB attribute
  value was looked up the same way;
- :func:`_check_xml_names_once`: xmltodict checked each element name of each XML answer character by character.

Each has a test in ``tests/unit/test_fast_paths.py`` that the answer is the one moto's serializer wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Possible names of a member, per picker, object class, shape and member (see :func:`possible_keys`).
_names: dict[tuple[Any, ...], tuple[Any, ...]] = {}

#: moto's structure serializers (every protocol's, and the JSON protocol's), kept for the equivalence tests.
moto_serialize_structure: Callable[..., Any] | None = None
moto_serialize_json_structure: Callable[..., Any] | None = None


def possible_keys(picker: Any, context: Any) -> tuple[str, ...]:
    """The names ``picker`` tries for ``context``'s member, in its order (kept unless the object has a ``Meta``).

    They depend only on the object's class and its ``Meta`` aliases, the member's shape, its parent and its name.
    """
    obj, shape = context.obj, context.shape
    if "Meta" in getattr(obj, "__dict__", ()):
        return tuple(picker.get_possible_keys(context))
    kind, parent = type(obj), getattr(shape, "parent", None)
    meta = getattr(kind, "Meta", None)
    key = (type(picker), tuple(picker.alias_providers), kind, id(meta), id(shape), id(parent), context.key)
    found = _names.get(key)
    if found is None:
        keys = tuple(picker.get_possible_keys(context))
        if len(_names) < 65536:
            _names[key] = (keys, shape, parent, meta)  # the objects are kept, so their ids stay theirs
        return keys
    return found[0]


def _pick_response_attributes_by_known_names() -> None:
    """Moto's serializer worked out, for every member of every response, which attribute names to try.

    The names are kept (:func:`possible_keys`); objects with their own ``Meta`` are worked out each time.
    """
    from moto.core import serialize

    def pick(self, context: Any) -> Any:
        obj = context.obj
        for possible_key in possible_keys(self, context):
            value = serialize.get_value(obj, possible_key, serialize.MISSING)
            if value is not serialize.MISSING:
                break
        else:
            value = None
        key_path = f"{context.key_path}.{context.key}"
        for transform_path, transform in self.response_transformers.items():
            if key_path.endswith(transform_path):
                value = transform(value)
                break
        return value

    serialize.AttributePicker.__call__ = pick


def _plain_attribute_value_writer() -> Callable[[Any, Any, Any], Any]:
    """A function writing a DynamoDB attribute value held in plain values, or returning ``NOT_PLAIN``."""
    plain_types = {"string": (str,), "boolean": (bool,), "blob": (str, bytes)}

    def written(serializer: Any, shape: Any, value: Any) -> Any:
        kind = shape.type_name
        if kind in plain_types:
            if type(value) not in plain_types[kind]:
                return NOT_PLAIN
            return serializer._base64(value) if kind == "blob" else value
        if kind == "list" and type(value) is list:
            parts = [written(serializer, shape.member, item) for item in value]
            return NOT_PLAIN if any(part is NOT_PLAIN for part in parts) else parts
        if kind == "map" and type(value) is dict and "" not in value:  # moto writes an empty key's members inline
            parts = {name: written(serializer, shape.value, item) for name, item in value.items()}
            return NOT_PLAIN if any(part is NOT_PLAIN for part in parts.values()) else parts
        if (kind == "structure" and shape.name == "AttributeValue" and type(value) is dict
                and shape.members.keys() >= value.keys()):
            parts = {name: written(serializer, member, value[name])
                     for name, member in shape.members.items() if value.get(name) is not None}
            return NOT_PLAIN if any(part is NOT_PLAIN for part in parts.values()) else parts
        return NOT_PLAIN

    return written


#: What :func:`_plain_attribute_value_writer`'s function returns for a value moto must write itself.
NOT_PLAIN = object()


#: A structure's members with the names the picker tries for each in a dict (see :func:`_member_names`).
_members_of: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _member_names(serializer: Any, shape: Any, value: dict[str, Any]) -> tuple[tuple[str, Any, Any], ...]:
    """Each member of ``shape``: its key, its shape, and the names a picker tries for it in a dict.

    The names are ``None`` when one has a dot (the picker reads it as a path).
    """
    from moto.core import serialize

    picker = serializer._value_picker
    key = (type(picker), tuple(picker.alias_providers), id(shape))
    found = _members_of.get(key)
    if found is None:
        members = []
        for member_key, member_shape in shape.members.items():
            member_shape.parent = shape
            context = serialize.AttributePickerContext(
                obj=value, key=member_key, shape=member_shape, operation_model=serializer.operation_model,
                service_model=serializer.service_model, key_path="")
            names = possible_keys(picker, context)
            members.append((member_key, member_shape, None if any("." in name for name in names) else names))
        found = tuple(members)
        if len(_members_of) < 16384:
            _members_of[key] = found
            _members_of[(*key, "shape")] = (shape,)  # kept, so its id stays its own
    return found


def _serialize_structures_directly() -> None:
    """Structures held in plain dicts, and DynamoDB attribute values, written without the picker's round trips.

    *Plain structures* (every protocol but the REST ones, whose members may go to headers or the URI): for a
    structure whose value is a ``dict``, each member is read under the first of the picker's own names
    (:func:`possible_keys`) the dict holds, exactly as the picker reads a dict, and goes through the first of the
    response's transformers whose path ends the member's, as the picker does; a name with a dot (a path, for the
    picker) sends that member through the picker.

    *Attribute values* (DynamoDB): an ``AttributeValue`` that is a plain dict keyed by member names only, with
    strings, booleans, bytes and nested plain values, is written as the serializer writes it: members in the
    model's order, ``None`` left out, blobs in base64, maps and lists recursively (a scan of a few hundred items
    spent most of its time in the picker: a third of ``serve``'s work under the SMS load).

    Anything else goes through moto's serializer.
    """
    from moto.core import serialize

    global moto_serialize_structure, moto_serialize_json_structure  # noqa: PLW0603 - kept for the tests
    original = moto_serialize_structure = serialize.ResponseSerializer._serialize_type_structure
    original_json = moto_serialize_json_structure = serialize.BaseJSONSerializer._serialize_type_structure
    plain_member = serialize.ResponseSerializer._serialize_structure_member
    attribute_value = _plain_attribute_value_writer()
    def plain(self: Any, value: Any) -> bool:
        return type(value) is dict and self.MAP_TYPE is dict and isinstance(self._value_picker,
                                                                             serialize.AttributePicker)

    def serialize_type_structure(self, serialized, value, shape, key) -> None:
        if not plain(self, value) or type(self)._serialize_structure_member is not plain_member:
            return original(self, serialized, value, shape, key)
        transformers = self._value_picker.response_transformers
        prefix = ".".join(self.path) if transformers else ""
        wrapper: Any = self.MAP_TYPE() if key else serialized
        for member_key, member_shape, names in _member_names(self, shape, value):
            member_shape.parent = shape
            if names is None:
                self._serialize_structure_member(wrapper, value, member_shape, member_key)
                continue
            member_value = next((value[name] for name in names if name in value), None)
            if transformers:  # as the picker: the first whose path ends the member's, on the value or None
                key_path = f"{prefix}.{member_key}"
                transform = next((t for path, t in transformers.items() if key_path.endswith(path)), None)
                if transform is not None:
                    member_value = transform(member_value)
            if member_value is not None:
                self._serialize(wrapper, member_value, member_shape, member_key)
        if key:
            self._default_serialize(serialized, wrapper, shape, key)
        return None

    def serialize_json_structure(self, serialized, value, shape, key) -> None:
        if (shape.name == "AttributeValue" and not shape.is_document_type and plain(self, value)
                and not self._value_picker.response_transformers and "dynamodb" in self.service_model.endpoint_prefix):
            answer = attribute_value(self, shape, value)
            if answer is not NOT_PLAIN:
                if key:
                    serialized[self.get_serialized_name(shape, key)] = answer
                else:  # as moto: the members go into the object being written
                    serialized.update(answer)
                return None
        return original_json(self, serialized, value, shape, key)

    serialize.ResponseSerializer._serialize_type_structure = serialize_type_structure
    serialize.BaseJSONSerializer._serialize_type_structure = serialize_json_structure


#: xmltodict's own name check, kept for the equivalence test.
xmltodict_validate_name: Callable[[Any, str], None] | None = None


def _check_xml_names_once() -> None:
    """The XML writer (xmltodict) checked every element name of every XML answer character by character.

    Whether a name is valid depends only on the name and its kind: each valid one is remembered (up to 65,536),
    and an invalid one is checked, and refused, every time.
    """
    import xmltodict

    global xmltodict_validate_name  # noqa: PLW0603 - kept for the equivalence test
    original = xmltodict_validate_name = xmltodict._validate_name
    valid: set[tuple[str, str]] = set()

    def _validate_name(value: Any, kind: str) -> None:
        known = type(value) is str and (value, kind) in valid
        if not known:
            original(value, kind)
            if type(value) is str and len(valid) < 65536:
                valid.add((value, kind))

    xmltodict._validate_name = _validate_name


def install() -> None:
    """Install the serializer fast paths."""
    _pick_response_attributes_by_known_names()
    _serialize_structures_directly()
    _check_xml_names_once()
