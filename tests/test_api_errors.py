"""Library errors are ecograph exceptions that name the parameter, never a command-line flag.

(The command line validates its own options first and names its flags; see test_cli.py.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import ecograph
from ecograph.errors import EcographError, UsageError

ROOT = Path(__file__).parent.parent
SCENARIO = "ecosystems/scenarios/list-the-garlic.yaml"
NODE = "shaanxi-apples"


@pytest.fixture(scope="module")
def eco() -> ecograph.Ecosystem:
    return ecograph.load(ROOT / "ecosystems" / "alibaba.yaml")


#: (call, the parameter the message must name at its start)
BAD_CALLS: dict[str, tuple[Callable[[ecograph.Ecosystem], Any], str]] = {
    "diagnose narrow": (lambda e: ecograph.diagnose(e, narrow=5), "narrow"),
    "diagnose saturation": (lambda e: ecograph.diagnose(e, saturation=-0.5), "saturation"),
    "fit threshold": (lambda e: ecograph.fit(e, threshold=-2), "threshold"),
    "fit overuse": (lambda e: ecograph.fit(e, overuse=math.nan), "overuse"),
    "compare top": (lambda e: ecograph.compare(e, e, top=0), "top"),
    "compare top float": (lambda e: ecograph.compare(e, e, top=2.5), "top"),
    "compare after": (lambda e: ecograph.compare(e, 5), "after"),  # type: ignore[arg-type]
    "compare targets": (lambda e: ecograph.compare(e, e, targets=None), "targets"),  # type: ignore[arg-type]
    "diff top": (lambda e: ecograph.diff(e, e, top=-1), "top"),
    "diff old": (lambda e: ecograph.diff("old.yaml", e), "old"),  # type: ignore[arg-type]
    "whatif scenario": (lambda e: ecograph.whatif(e, 5), "scenario"),
    "whatif top": (lambda e: ecograph.whatif(e, SCENARIO, top=0), "top"),
    "whatif applied": (lambda e: ecograph.whatif(e, SCENARIO, applied=[]), "applied"),  # type: ignore[arg-type]
    "bottlenecks threshold": (lambda e: ecograph.bottlenecks(e, NODE, threshold=0), "threshold"),
    "centrality top": (lambda e: ecograph.centrality(e, "pagerank", top=0), "top"),
    "cheapest demand": (lambda e: ecograph.cheapest(e, NODE, demand=-1), "demand"),
    "advise top": (lambda e: ecograph.advise(e, NODE, top=0), "top"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_errors_name_the_parameter_not_a_flag(
    name: str, eco: ecograph.Ecosystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    call, parameter = BAD_CALLS[name]
    with pytest.raises(UsageError) as caught:
        call(eco)
    message = str(caught.value)
    assert message.startswith(f"{parameter} must"), message
    assert "--" not in message, message
    assert "\n" not in message, message


def test_targets_given_as_one_str_are_one_node(eco: ecograph.Ecosystem) -> None:
    # a str is a node id, not its characters
    one = ecograph.compare(eco, eco, targets="shaanxi-apples", diagnosis=False)
    assert [r["target"] for r in one.max_flow] == ["shaanxi-apples"]
    with pytest.raises(UsageError, match="unknown node 'nope'"):
        ecograph.compare(eco, eco, targets="nope")


def test_no_message_in_the_library_starts_with_a_flag() -> None:
    """The source of the library's errors: no message is a command-line flag."""
    flagged = []
    for path in [
        *(ROOT / "ecograph" / "analysis").glob("*.py"),
        *(ROOT / "ecograph" / name for name in ("compare.py", "scenario.py", "results.py")),
    ]:
        text = path.read_text("utf-8")
        for match in re.finditer(r"(?:Error|check\.add)\([^)]*?f?[\"']--[a-z{]", text):
            flagged.append(f"{path.name}: {match.group(0)}")
    assert flagged == []


def test_a_missing_key_is_a_key_error_as_for_a_dict(eco: ecograph.Ecosystem) -> None:
    result = ecograph.bottlenecks(eco, "shaanxi-apples")
    with pytest.raises(KeyError):
        result["no-such-key"]
    assert result.get("no-such-key") is None
    assert issubclass(UsageError, EcographError)
