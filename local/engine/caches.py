"""Speed: start-up, parsed definitions, ResultPath parsing (behaviour unchanged)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import os
import threading
from pathlib import Path

import boto3

from local.engine.version import MOTO_VERSION


def _build_ec2_region_table_with_one_session() -> None:
    """Start-up: moto's EC2 region table creates three boto3 Sessions at import, about 0.4 s.

    The step functions interpreter imports it (through AWS Batch) whether or not a workflow uses EC2.
    One session answers the three region queries the same way.
    """
    import sys

    module = "moto.ec2.models.availability_zones_and_regions"
    if module in sys.modules:
        return
    shared = boto3.session.Session()
    original = boto3.Session
    boto3.Session = lambda *args, **kwargs: shared if not args and not kwargs else original(*args, **kwargs)
    try:
        importlib.import_module(module)
    finally:
        boto3.Session = original

#: Definitions known to parse, by SHA-256 of moto's version and the text: CreateStateMachine skips their
#: ANTLR parse (the slowest part of start-up) in later processes. The parse is deterministic, so a text that
#: parsed once with this moto parses again; executions still parse (once per process, see below).
VALID_DEFINITIONS_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sfn-local" / "valid-asl"


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

    @functools.lru_cache(maxsize=256)
    def parse_once(definition: str):
        tree = parse_tree(definition)
        return Preprocessor().visit(tree), tree

    def parse(definition: str):
        with parse_lock:  # executions starting together would otherwise each parse the same definition
            return parse_once(definition)

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
    _build_ec2_region_table_with_one_session()
    _cache_parsed_definitions()
    _cache_result_path_parsing()
