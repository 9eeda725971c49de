"""The YAML loader: scalar resolution, positions, and hostile input."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import ecograph
from ecograph import MapError
from ecograph.loader import MAX_DEPTH, LoadFailure, parse_text, read_text, resolve_plain

# YAML 1.2.2 spec, section 10.3.2 (core schema) examples, plus the PyYAML 1.1 traps
# that users write (BRIEF section 5).
CORE = [
    ("null", None),
    ("~", None),
    ("", None),
    ("true", True),
    ("False", False),
    ("0", 0),
    ("-19", -19),
    ("0o14", 12),
    ("0x3A", 58),
    ("0.", 0.0),
    ("-0.0", -0.0),
    (".5", 0.5),
    ("+12e03", 12000.0),
    ("-2E+05", -200000.0),
    ("1e9", 1e9),
    ("2.5e6", 2.5e6),
    ("1_000", 1000),
    ("1_000.5", 1000.5),
    # YAML 1.1 booleans, sexagesimals and dates are text in 1.2
    ("yes", "yes"),
    ("no", "no"),
    ("on", "on"),
    ("off", "off"),
    ("y", "y"),
    ("1:20", "1:20"),
    ("2024-01-01", "2024-01-01"),
    ("1.10.2", "1.10.2"),
    ("5,000", "5,000"),
]


@pytest.mark.parametrize(("text", "value"), CORE, ids=[t or "<empty>" for t, _ in CORE])
def test_plain_scalars_resolve_by_yaml_1_2_core_rules(text: str, value: object) -> None:
    got = resolve_plain(text)
    assert type(got) is type(value)
    assert got == value


def test_special_floats_resolve() -> None:
    assert resolve_plain(".inf") == math.inf
    assert resolve_plain("-.Inf") == -math.inf
    assert math.isnan(resolve_plain(".NaN"))


def test_quoted_scalars_stay_text() -> None:
    doc = parse_text("a: '1e9'\nb: \"true\"\nc: |\n  x\n", "m.yaml")
    assert doc.data == {"a": "1e9", "b": "true", "c": "x\n"}


def test_positions_of_keys_and_values() -> None:
    text = "top:\n  list:\n    - {k: v}\n    - second\n"
    doc = parse_text(text, "m.yaml")
    assert doc.locate(("top", "list", 0, "k")) == (3, 11)  # "    - {k: v}": v is column 11
    assert doc.locate(("top", "list", 0, "k"), key=True) == (3, 8)
    assert doc.locate(("top", "list", 1)) == (4, 7)
    # a path into something missing points at the deepest container found
    assert doc.locate(("top", "nope")) == (2, 3)


def test_raw_text_of_plain_scalars() -> None:
    doc = parse_text("a: 1.10\nb: [no, 0x1F]\n", "m.yaml")
    assert doc.data["a"] == 1.1
    assert doc.raw(("a",)) == "1.10"
    assert doc.raw(("b", 1)) == "0x1F"


# -- hostile input: each ends in one clear error, quickly, without a traceback --------


def _fails(text: str | bytes) -> str:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    with pytest.raises(LoadFailure) as info:
        parse_text(read_text(data, "m.yaml"), "m.yaml")
    (diag,) = info.value.diagnostics
    return str(diag)


def test_ten_megabyte_single_line() -> None:
    message = _fails("a: " + "x" * 10_000_000)
    assert message.startswith("m.yaml:1:100001: line is 10,000,003 characters long")


def test_deep_nesting_is_refused_before_the_parser_recurses() -> None:
    # libyaml's own composer crashes the interpreter (segfault) at this depth
    message = _fails("a: " + "[\n" * 100_000 + "]\n" * 100_000)
    assert message == f"m.yaml:{MAX_DEPTH}:1: nesting is deeper than {MAX_DEPTH} levels"


def test_nested_block_mappings_are_refused_too() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(100))
    assert "nesting is deeper than 64 levels" in _fails(text)


def test_billion_laughs_stops_before_expanding() -> None:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 12):
        refs = ",".join([f"*l{i - 1}"] * 10)
        lines.append(f"l{i}: &l{i} [{refs}]")
    assert "aliases expand to more than" in _fails("\n".join(lines))


def test_binary_garbage() -> None:
    assert _fails(bytes(range(256)) * 10).endswith(
        "file looks binary (it contains NUL bytes), not a YAML map"
    )
    assert "not UTF-8 text (byte 0xff)" in _fails(b"name: \xff\xfe\xfd")
    assert "UTF-16" in _fails("ecograph: 1".encode("utf-16"))


def test_control_characters() -> None:
    assert _fails("a: b\x07c") == (
        "m.yaml:1:5: character #x07 is not allowed in YAML text "
        "(control characters are not allowed)"
    )


def test_non_mapping_top_levels_and_empty_files() -> None:
    for text, found in [
        ("- a\n- b\n", "a list"),
        ("just text\n", "text 'just text'"),
        ("42\n", "the number 42"),
    ]:
        with pytest.raises(MapError) as info:
            ecograph.loads(text)
        assert str(info.value).endswith(f"found {found}")
    for text in ("", "# only a comment\n", "---\n"):
        with pytest.raises(MapError, match="the map is empty"):
            ecograph.loads(text)


def test_a_directory_is_not_a_map(tmp_path: Path) -> None:
    with pytest.raises(MapError, match="is a directory"):
        ecograph.load(tmp_path)


def test_only_a_plain_double_angle_key_merges() -> None:
    # `<<: *anchor` merges; a quoted '<<' is an ordinary key (an id, an attrs key)
    doc = parse_text('a: &x {k: 1}\nb: {<<: *x, j: 2}\nc: {"<<": 3}\n', "m.yaml")
    assert doc.data["b"] == {"k": 1, "j": 2}
    assert doc.data["c"] == {"<<": 3}


@pytest.mark.parametrize("brk", ["\x85", "\u2028", "\u2029", "\r"])
def test_ids_read_as_numbers_are_recovered_after_unusual_line_breaks(brk: str) -> None:
    # libyaml counts NEL, LS, PS and a lone CR as line breaks in its positions; the text of
    # `08` (an int in YAML 1.2) must still be found where libyaml says it is
    text = (
        "ecograph: 1\nname: g\nnodes:\n"
        f'  "1": {{kind: platform, label: "a{brk}b"}}\n'
        '  "08": {kind: platform}\npipes:\n- {from: "1", to: 08, volume: 0}\n'
    )
    assert [p.to_node for p in ecograph.loads(text).pipes] == ["08"]
