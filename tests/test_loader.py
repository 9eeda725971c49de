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
    # YAML 1.1's digit separators are text in 1.2 (yaml-language-server reads them so)
    ("1_000", "1_000"),
    ("1_000.5", "1_000.5"),
    ("0x1_F", "0x1_F"),
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


# -- files that are not files (loader.read_file, the one place input files are opened) ---


def _read_error(path: object) -> str:
    from ecograph.loader import read_file

    with pytest.raises(LoadFailure) as info:
        read_file(path, "m.yaml")  # type: ignore[arg-type]
    (diag,) = info.value.diagnostics
    return str(diag)


def test_devices_fifos_and_directories_are_refused_without_reading(tmp_path: Path) -> None:
    import os

    not_regular = "m.yaml: is not a regular file (a device, FIFO or socket); "
    assert _read_error("/dev/zero").startswith(not_regular)
    assert _read_error("/dev/urandom").startswith(not_regular)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # no writer: a blocking open would hang here
    assert _read_error(fifo).startswith(not_regular)
    assert _read_error(tmp_path) == "m.yaml: is a directory, not a map file"


def test_symlink_loops_and_nul_bytes_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    assert _read_error(tmp_path / "a.yaml") == (
        "m.yaml: too many levels of symbolic links (a symlink loop?)"
    )
    assert _read_error("a\x00b.yaml") == "m.yaml: the path contains a NUL byte"


def test_files_over_the_size_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ecograph.loader

    path = tmp_path / "m.yaml"
    path.write_bytes(b"ecograph: 1\n" * 10)
    monkeypatch.setattr(ecograph.loader, "MAX_FILE_SIZE", 100)
    assert _read_error(path) == "m.yaml: file is larger than 100 bytes, the limit of ecograph"
    monkeypatch.setattr(ecograph.loader, "MAX_FILE_SIZE", 120)
    assert ecograph.loader.read_file(path, "m.yaml") == b"ecograph: 1\n" * 10


def test_utf32_is_named_utf32() -> None:
    assert _fails("ecograph: 1".encode("utf-32")) == (
        "m.yaml:1:1: file is UTF-32 text; save it as UTF-8"
    )
    assert _fails("ecograph: 1".encode("utf-16")) == (
        "m.yaml:1:1: file is UTF-16 text; save it as UTF-8"
    )


# -- values are never silently changed ------------------------------------------------------


def test_anchors_tags_and_aliases_keep_the_written_text_of_text_fields() -> None:
    eco = ecograph.loads(
        "ecograph: 1\nname: t\nnodes:\n"
        "  '2024': {kind: pool, label: &y 2024}\n"
        "  b: {kind: pool, label: *y, parent: *y}\n"
        "  c: {kind: pool, label: !!float 1.10, parent: !!int 2024}\n"
        "  d: {kind: pool, label: &z 0x1F, tags: [*z, &w no, *w]}\n"
        "pipes: [{from: b, to: c}, {from: c, to: d}, {from: d, to: b}]\n"
    )
    nodes = eco.nodes
    assert nodes["2024"].label == "2024"
    assert (nodes["b"].label, nodes["b"].parent) == ("2024", "2024")
    assert (nodes["c"].label, nodes["c"].parent) == ("1.10", "2024")
    assert nodes["d"].label == "0x1F"
    assert nodes["d"].tags == ("0x1F", "no", "no")


def test_tagged_number_stays_a_number_where_a_number_is_wanted() -> None:
    doc = parse_text("a: !!int 2024\nb: !!float 3\n", "m.yaml")
    assert doc.data == {"a": 2024, "b": 3.0}
    assert doc.raw(("a",)) == "2024"  # not '!!int'


def test_merged_values_keep_their_written_text() -> None:
    doc = parse_text("base: &b {label: 1.10}\nnode: {<<: *b}\n", "m.yaml")
    assert doc.raw(("node", "label")) == "1.10"


def test_keys_with_control_characters_are_kept_not_dropped() -> None:
    doc = parse_text('"\\0a": 1\n"b\\x01": 2\nc: 3\n', "m.yaml")
    assert doc.data == {"\x00a": 1, "b\x01": 2, "c": 3}
    eco = ecograph.loads('ecograph: 1\nname: t\nnodes:\n  a: {kind: pool, attrs: {"\\0k": 1}}\n')
    assert dict(eco.nodes["a"].attrs) == {"\x00k": 1}


def test_duplicate_keys_still_drop_the_second_value_with_an_error() -> None:
    doc = parse_text("a: 1\na: {x: 2}\nb: 3\n", "m.yaml")
    assert doc.data == {"a": 1, "b": 3}
    assert [d.message for d in doc.diagnostics] == [
        "duplicate key 'a' (first written at line 1, column 1)"
    ]


def test_aliases_nesting_past_the_limit_are_refused_before_anything_recurses() -> None:
    lines = ["l0: &l0 [x]"] + [f"l{i}: &l{i} [*l{i - 1}]" for i in range(1, 1000)]
    message = _fails("\n".join(lines))
    # l63 (line 64) would nest 65 levels: the top mapping, its list and l62's 63
    assert message == "m.yaml:64:12: nesting is deeper than 64 levels (aliases expanded)"


# -- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "9" * 400,
        "9" * 5000,
        "-" + "1" * 302,
        "0x" + "F" * 251,
        "0o" + "7" * 400,
        "1.7e308",
        "1e999",
    ],
)
def test_numbers_beyond_the_limit_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"^number too large \("):
        resolve_plain(text)


@pytest.mark.parametrize(
    ("text", "value"), [("1e300", 1e300), ("-1e300", -1e300), ("1" + "0" * 300, 10**300)]
)
def test_numbers_at_the_limit_are_read(text: str, value: float) -> None:
    assert resolve_plain(text) == value


def test_a_huge_number_is_one_error_at_its_place() -> None:
    with pytest.raises(MapError) as info:
        ecograph.loads(
            "ecograph: 1\nname: t\nnodes:\n  a: {kind: pool, users: " + "1" * 5000 + "}\n"
        )
    assert [str(d) for d in info.value.diagnostics] == [
        "<string>:4:26: number too large (5,000 characters); numbers must lie between "
        "-1e300 and 1e300 (quote it to make it text)"
    ]


def test_quoted_huge_numbers_are_text() -> None:
    eco = ecograph.loads(
        "ecograph: 1\nname: t\nnodes:\n  a: {kind: pool, label: '" + "9" * 400 + "'}\n"
    )
    assert eco.nodes["a"].label == "9" * 400


# -- positions are the lines an editor shows --------------------------------------------


@pytest.mark.parametrize("brk", ["\x85", "\u2028", "\u2029"])
def test_unusual_line_breaks_do_not_shift_later_positions(brk: str) -> None:
    text = f'a: "x{brk}y"\nb: [1, 2]\nc: {{k: v}}\n'
    doc = parse_text(text, "m.yaml")
    assert doc.locate(("b", 1)) == (2, 8)
    assert doc.locate(("c", "k"), key=True) == (3, 5)
    # and a syntax error after one is on the editor's line
    message = _fails(f'a: "x{brk}y"\nb: [1, 2\nc: 3\n')
    assert message.startswith("m.yaml:3:")


def test_lone_carriage_returns_are_line_breaks_in_positions() -> None:
    doc = parse_text("a: 1\rb: [x, y]\r", "m.yaml")
    assert doc.locate(("b", 1)) == (2, 8)
