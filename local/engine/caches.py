"""Speed: start-up, parsed definitions, ResultPath parsing (behaviour unchanged)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import marshal
import os
import sys
import threading
from pathlib import Path
from typing import Any

import boto3

from local.engine.version import MOTO_VERSION


class _OfferingsByRegion(dict):
    """EC2 instance type offerings of one location type, region → offerings, each region's file read on first use.

    moto read the 93 files of every region and location type when EC2 was imported; a workflow reads one region.
    Each region's list is what moto built: the file's offerings, each with its ``LocationType``.
    """

    def __init__(self, location_type: str, files: dict[str, str]) -> None:
        super().__init__()
        self._location_type, self._files, self._lock = location_type, files, threading.RLock()

    def _load(self, region: Any) -> None:
        with self._lock:
            path = self._files.pop(region, None) if isinstance(region, str) else None
            if path is not None:
                from moto.utilities.utils import load_resource

                offerings = load_resource(path)
                for offering in offerings:
                    offering["LocationType"] = self._location_type
                super().__setitem__(region, offerings)

    def _load_all(self) -> None:
        for region in list(self._files):
            self._load(region)

    def __getitem__(self, region: Any) -> Any:
        self._load(region)
        return super().__getitem__(region)

    def get(self, region: Any, default: Any = None) -> Any:
        self._load(region)
        return super().get(region, default)

    def __contains__(self, region: object) -> bool:
        return region in self._files or super().__contains__(region)

    def __iter__(self):
        self._load_all()
        return super().__iter__()

    def __len__(self) -> int:
        return len(self._files) + super().__len__()

    def keys(self):
        self._load_all()
        return super().keys()

    def values(self):
        self._load_all()
        return super().values()

    def items(self):
        self._load_all()
        return super().items()

    def __repr__(self) -> str:
        self._load_all()
        return super().__repr__()


def _import_ec2_models_lightly() -> None:
    """Start-up: importing moto's EC2 models built three boto3 Sessions and read 93 offering files, about 0.5 s.

    The Step Functions interpreter imports EC2 (through AWS Batch) whether or not a workflow uses it. One
    session answers the region table's three queries the same way, and the instance type offerings are read
    per region when first used (:class:`_OfferingsByRegion`).
    """
    import sys

    module = "moto.ec2.models"
    if module in sys.modules:
        return
    import moto

    offerings = Path(moto.__file__).parent / "ec2" / "resources" / "instance_type_offerings"
    shared = boto3.session.Session()
    original_session, original_listdir = boto3.Session, os.listdir

    def listdir(path: Any = ".") -> list[str]:
        # Only while EC2 imports: its offerings module lists each location type's folder to read every file.
        if isinstance(path, str | os.PathLike) and Path(path).parent == offerings:
            return []
        return original_listdir(path)

    boto3.Session = lambda *args, **kwargs: shared if not args and not kwargs else original_session(*args, **kwargs)
    os.listdir = listdir
    try:
        instance_types = importlib.import_module("moto.ec2.models.instance_types")
        importlib.import_module(module)
    finally:
        boto3.Session, os.listdir = original_session, original_listdir
    for location_type in list(instance_types.INSTANCE_TYPE_OFFERINGS):
        files = {name.split(".")[0]: os.path.join("ec2", "resources", "instance_type_offerings", location_type, name)
                 for name in original_listdir(offerings / location_type)}
        instance_types.INSTANCE_TYPE_OFFERINGS[location_type] = _OfferingsByRegion(location_type, files)


def _share_one_botocore_loader() -> None:
    """Start-up: each botocore session has its own loader, so every session parsed the models again.

    The stack's clients, moto's region tables and the Lambda handlers' clients each made a session, and moto
    made a loader for each service's request parser (each listed the 400 model folders first). One loader
    per search path serves all sessions, and one moto loader (botocore's models with moto's extras) serves
    moto; their caches hold the parsed JSON, which both only read. boto3 adds its own data folder to the
    loader of each session it makes: the shared loader keeps one copy of each folder.
    """
    import botocore.loaders
    import botocore.session
    from moto.core import utils as moto_utils

    class _SearchPaths(list):
        def append(self, path: Any) -> None:
            if path not in self:
                super().append(path)

    lock = threading.Lock()
    loaders: dict[str | None, botocore.loaders.Loader] = {}
    original = botocore.loaders.create_loader

    def create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        with lock:
            loader = loaders.get(search_path_string)
            if loader is None:
                loader = original(search_path_string)
                loader._search_paths = _SearchPaths(loader._search_paths)
                loaders[search_path_string] = loader
            return loader

    botocore.session.create_loader = create_loader
    moto_utils.create_loader = functools.lru_cache(maxsize=1)(moto_utils.create_loader)


def _build_rest_url_builders_when_used() -> None:
    """Start-up: moto's REST routers (Lambda, SES v2) compiled two URL *builders* per API operation.

    Werkzeug generates and compiles Python code for each rule's URL builder when the rule is added; moto only
    matches requests against the rules and never builds a URL. Each builder is now compiled on its first use.
    """
    from moto.core.routing import SmithyRule

    original = SmithyRule._compile_builder

    def compile_builder(self, append_unknown: bool = True):
        compiled: list[Any] = []

        def build(rule: Any, *args: Any, **kwargs: Any) -> Any:
            if not compiled:
                compiled.append(original(rule, append_unknown))
            return compiled[0](rule, *args, **kwargs)

        return build

    SmithyRule._compile_builder = compile_builder


#: Where this project keeps what it can rebuild: parsed API models and the definitions known to parse.
CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sfn-local"
#: API models botocore and moto read, kept parsed (marshal) by path: each Python process of the project read
#: and parsed them again, gzip and JSON, about 0.15 s of every start-up (EC2's model alone is 4 MB of JSON).
API_MODELS_CACHE = CACHE_HOME / f"api-models-py{sys.version_info[0]}{sys.version_info[1]}"


def _stamp(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_mtime_ns, status.st_size


def read_api_model(full_path: str, open_method: Any) -> Any:
    """The parsed JSON of one API model file, from :data:`API_MODELS_CACHE` while the file is unchanged.

    A cache entry holds the file's modification time and size with the data; a file changed since (a botocore or
    moto upgrade) is parsed again and its entry rewritten. An unreadable or unwritable cache only costs speed.
    """
    import json

    import botocore.loaders

    stamp = _stamp(full_path)
    entry = API_MODELS_CACHE / hashlib.sha256(full_path.encode()).hexdigest()
    with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
        cached_stamp, data = marshal.loads(entry.read_bytes())
        if tuple(cached_stamp) == stamp:
            return data
    with open_method(full_path, "rb") as file:
        payload = file.read().decode("utf-8")
    botocore.loaders.logger.debug("Loading JSON file: %s", full_path)
    data = json.loads(payload)
    with contextlib.suppress(OSError, ValueError):  # ValueError: a value marshal cannot write (none in JSON)
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.with_name(f"{entry.name}.{os.getpid()}.{threading.get_ident()}")
        partial.write_bytes(marshal.dumps((stamp, data)))
        os.replace(partial, entry)  # readers see the old entry or the whole new one
    return data


def _parse_api_models_once() -> None:
    """Start-up: botocore read and parsed each API model in every process, into OrderedDicts.

    Models are read through :func:`read_api_model` (parsed once per file version, then unmarshalled: about four
    times faster than gzip and JSON) and into plain dicts: since Python 3.7 a dict keeps insertion order, and
    nothing in botocore, boto3 or moto tells the two apart (no ``isinstance`` check, no ``move_to_end``);
    parsing into OrderedDicts was 2.3 times slower. The models' shapes are still built as botocore builds them.
    """
    import botocore.loaders

    def load_file(self, full_path: str, open_method: Any) -> Any:
        if not os.path.isfile(full_path):
            return None
        return read_api_model(full_path, open_method)

    botocore.loaders.JSONFileLoader._load_file = load_file


#: Definitions known to parse, by SHA-256 of moto's version and the text: CreateStateMachine skips their
#: ANTLR parse (the slowest part of start-up) in later processes. The parse is deterministic, so a text that
#: parsed once with this moto parses again; executions still parse (once per process, see below).
VALID_DEFINITIONS_CACHE = CACHE_HOME / "valid-asl"


def _definition_key(definition: str) -> str:
    return hashlib.sha256(f"{MOTO_VERSION}\n{definition}".encode()).hexdigest()


def parse_tree(definition: str):
    """The ANTLR parse tree of a definition; raises the interpreter's ``ASLParserException``."""
    from antlr4 import CommonTokenStream, InputStream
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
    from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException, SyntaxErrorListener

    listener = SyntaxErrorListener()
    parser = ASLParser(CommonTokenStream(ASLLexer(InputStream(definition))))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    tree = parser.state_machine()
    if listener.errors:
        raise ASLParserException(errors=listener.errors)
    return tree


def _cache_parsed_definitions() -> None:
    """Every execution re-parsed its whole definition with ANTLR and rebuilt its components: 20-50 ms each.

    The evaluation components are kept per definition text. They hold only the definition; everything an
    execution changes lives in its ``Environment`` (moto already runs one component tree on many threads for
    the iterations of a Map). Their heap keys are made deterministic so two executions starting at once cannot
    give one component two keys. CreateStateMachine consults :data:`VALID_DEFINITIONS_CACHE` before parsing.
    """
    from moto.stepfunctions.parser import models
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    parse_lock = threading.Lock()
    parsed: dict[str, tuple[Any, Any]] = {}

    def parse(definition: str):
        found = parsed.get(definition)
        if found is None:
            with parse_lock:  # executions starting together would otherwise each parse the same definition
                found = parsed.get(definition)
                if found is None:
                    tree = parse_tree(definition)
                    found = parsed[definition] = (Preprocessor().visit(tree), tree)
                    if len(parsed) > 256:  # the oldest definition goes first
                        parsed.pop(next(iter(parsed)))
        return found

    EvalComponent.heap_key = property(lambda self: f"{type(self).__name__}-{id(self)}")
    AmazonStateLanguageParser.parse = staticmethod(parse)
    original_validate = models.StepFunctionsParserBackend._validate_definition

    def validate_definition(definition: str) -> None:
        marker = VALID_DEFINITIONS_CACHE / _definition_key(definition)
        if marker.exists():
            return
        original_validate(definition)
        with contextlib.suppress(OSError):  # a read-only home only costs speed
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()

    models.StepFunctionsParserBackend._validate_definition = staticmethod(validate_definition)


def _cache_result_path_parsing() -> None:
    """ResultPath built a JSONPath parser (PLY tables) on every evaluation: about 1 ms per state."""
    import jsonpath_ng
    from moto.stepfunctions.parser.asl.component.common.path import result_path

    result_path.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.parse)


def install() -> None:
    """Install the caches."""
    _share_one_botocore_loader()
    _parse_api_models_once()
    _import_ec2_models_lightly()
    _build_rest_url_builders_when_used()
    _cache_parsed_definitions()
    _cache_result_path_parsing()
