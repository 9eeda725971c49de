"""The JSON Schemas agree with ``ecograph check``, file by file, over the whole corpus.

An editor (yaml-language-server, check-jsonschema) reads a map by YAML 1.2 core
rules and hands the data to a JSON Schema validator. This test does the same with
an independent reader (PyYAML's parser with the YAML 1.2 core resolvers and
nothing else, duplicate keys refused as editors refuse them) and ``jsonschema``'s
Draft 2020-12 validator on the shipped schema files, and compares the verdict with
ecograph's own checker on every map and scenario in ``tests/corpus`` and
``ecosystems``: valid, invalid and with warnings.

The schemas cannot see other files or other parts of the map, so errors about
cross-references (unknown or duplicate ids, cycles, includes, a base map) and
resource limits (alias budgets) are the only ones allowed to differ; each of those
files must still fail ``check`` and be named in :data:`BEYOND_SCHEMA` by the reason.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
import yaml

import ecograph
from ecograph import MapError
from ecograph.scenario import load_scenario

ROOT = Path(__file__).parent.parent
SCHEMAS = ROOT / "ecograph" / "schema"

#: What a JSON Schema cannot know: other files, other ids, cycles, resource limits.
BEYOND_SCHEMA = re.compile(
    r"unknown (node|parent node|owner node|pipe)|already (defined|used|exists|blocked)"
    r"|cannot be its own parent|parent cycle|cannot run from node|include cycle"
    r"|included file|differs from|outside the|does not exist|was removed by"
    r"|aliases expand|nesting is deeper|is only for pools"
)


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe parser with the YAML 1.2 core schema's resolvers only."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key, _ in node.value:
            if key.value in seen:  # yaml-language-server: "Map keys must be unique"
                raise yaml.constructor.ConstructorError(None, None, "duplicate key", key.start_mark)
            seen.add(key.value)
        mapping = super().construct_mapping(node, deep=deep)
        return {str(k): v for k, v in mapping.items()}  # JSON keys are text


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    # '<<' merge keys are not YAML 1.2 core, but yaml-language-server applies them
    ("merge", r"^(?:<<)$", "<"),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
]:
    Yaml12Loader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), list(first))


def _int12(loader: Yaml12Loader, node: Any) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 16) if text.startswith("0x") else int(text)


def _float12(loader: Yaml12Loader, node: Any) -> float:
    text = loader.construct_scalar(node).lower()
    return float(text.replace(".inf", "inf").replace(".nan", "nan"))


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int12)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _float12)


def editor_view(path: Path) -> tuple[bool, Any]:
    """(parsed, data) as a YAML 1.2 editor reads the file."""
    try:
        return True, yaml.load(path.read_text("utf-8"), Loader=Yaml12Loader)
    except (yaml.YAMLError, UnicodeDecodeError):
        return False, None


def validator(name: str) -> jsonschema.Draft202012Validator:
    # no registry of remote documents: a schema that needs one fails here, as offline
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=referencing.Registry())


def map_errors(path: Path) -> list[str]:
    try:
        ecograph.load(path.relative_to(ROOT).as_posix(), allow_outside=False)
    except MapError as err:
        return [d.message for d in err.diagnostics]
    return []


def scenario_errors(path: Path) -> list[str]:
    try:
        load_scenario(path.relative_to(ROOT).as_posix())
    except MapError as err:
        return [d.message for d in err.diagnostics]
    return []


MAPS = sorted(
    p
    for folder in ("tests/corpus/valid", "tests/corpus/invalid", "tests/corpus/warnings")
    for p in (ROOT / folder).glob("*.yaml")
) + sorted((ROOT / "ecosystems").glob("*.yaml"))
SCENARIOS = sorted((ROOT / "tests/corpus/scenarios").glob("*.yaml")) + sorted(
    (ROOT / "ecosystems/scenarios").glob("*.yaml")
)


def _verdicts(path: Path, schema: str, errors: list[str]) -> None:
    parsed, data = editor_view(path)
    schema_ok = parsed and validator(schema).is_valid(data)
    structural = [e for e in errors if not BEYOND_SCHEMA.search(e)]
    if schema_ok:
        # whatever the schema accepts, check accepts, but for cross-references
        assert not structural, (path.name, structural)
    else:
        # whatever check accepts, the schema accepts
        assert errors, (path.name, list(validator(schema).iter_errors(data))[:3])


@pytest.mark.parametrize("path", MAPS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_map_schema_agrees_with_check(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    _verdicts(path, "ecograph-1.schema.json", map_errors(path))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_scenario_schema_agrees_with_check(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    _verdicts(path, "ecograph-scenario-1.schema.json", scenario_errors(path))


def test_scenario_schema_carries_the_map_definitions() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import schema_sync
    finally:
        sys.path.pop(0)
    scenario = (SCHEMAS / "ecograph-scenario-1.schema.json").read_text("utf-8")
    map_text = (SCHEMAS / "ecograph-1.schema.json").read_text("utf-8")
    assert schema_sync.updated(scenario, map_text) == scenario, "run: python tools/schema_sync.py"
    assert "ecograph-1.schema.json#" not in scenario and "https://" not in scenario.replace(
        '"$schema": "https://json-schema.org/draft/2020-12/schema"', ""
    ).replace('"$id": "https://ecograph.dev/schema/ecograph-scenario-1.schema.json"', "")


def test_the_corpus_has_both_verdicts() -> None:
    # the comparison means something only if both sides say yes and no somewhere
    verdicts = {
        editor_view(p)[0] and validator("ecograph-1.schema.json").is_valid(editor_view(p)[1])
        for p in MAPS
    }
    assert verdicts == {True, False}
    assert len(MAPS) > 60
