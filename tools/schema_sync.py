"""Copy the map schema's definitions into the scenario schema, so it stands alone.

The scenario schema's ``add`` takes nodes and pipes written as in a map. A ``$ref``
to the map schema's web address would need the network (offline validators and
editors fail on it), so the scenario schema carries the map's ``$defs`` under
``$defs/map/$defs``. Run ``python tools/schema_sync.py`` after changing
``ecograph-1.schema.json``; ``tests/test_schema_corpus.py`` fails while they differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent.parent / "ecograph" / "schema"
MAP = SCHEMAS / "ecograph-1.schema.json"
SCENARIO = SCHEMAS / "ecograph-scenario-1.schema.json"
START = '    "map": {'


def embedded(map_schema: dict[str, Any]) -> dict[str, Any]:
    """The map schema's ``$defs``, with references pointing into the embedded copy."""

    def move(part: Any) -> Any:
        if isinstance(part, dict):
            return {
                k: v.replace("#/$defs/", "#/$defs/map/$defs/") if k == "$ref" else move(v)
                for k, v in part.items()
            }
        if isinstance(part, list):
            return [move(item) for item in part]
        return part

    return {
        "description": "Copied from ecograph-1.schema.json by tools/schema_sync.py; do not edit.",
        "$defs": move(map_schema["$defs"]),
    }


def updated(text: str, map_text: str) -> str:
    """``text`` (the scenario schema) with its ``map`` definitions replaced."""
    head, found, _ = text.partition(START)
    if not found:
        raise SystemExit(f"{SCENARIO.name}: no {START.strip()!r} entry")
    block = json.dumps(embedded(json.loads(map_text)), ensure_ascii=False, indent=2)
    block = block.replace("\n", "\n    ")
    return f'{head}    "map": {block}\n  }}\n}}\n'


def main() -> int:
    text = SCENARIO.read_text("utf-8")
    new = updated(text, MAP.read_text("utf-8"))
    if new != text:
        SCENARIO.write_text(new, "utf-8")
        print(f"updated {SCENARIO}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
