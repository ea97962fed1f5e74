"""The pack reader builds its line-annotated tree in one pass over YAML events; it must read every
document exactly as composing the whole document and then converting it did (the reference below)."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.trivia.packs import _bounded, _join, _Loader, _Node, _Reader


def _reference(text: str) -> tuple[object, list]:
    reader = _Reader("x.yaml")

    def convert(node: yaml.Node, field: str) -> _Node:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            mapping: dict[str, _Node] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    kind = "a mapping" if isinstance(key_node, yaml.MappingNode) else "a list"
                    reader.problem(key_line, field, f"keys must be text, got {kind}")
                    continue
                key = _bounded(key_node.value, 64)
                if key in mapping:
                    reader.problem(key_line, _join(field, key), "duplicate key")
                    continue
                mapping[key] = convert(value_node, _join(field, key))
            return _Node(mapping, line)
        if isinstance(node, yaml.SequenceNode):
            return _Node([convert(item, f"{field}[{i}]") for i, item in enumerate(node.value)], line)
        return _Node(reader._scalar(node), line, node.value)

    if not reader._pre_scan(text):
        return None, reader.issues
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        reader._yaml_problem(error)
        return None, reader.issues
    return (convert(root, "(file)") if root is not None else None), reader.issues


def _one_pass(text: str) -> tuple[object, list]:
    reader = _Reader("x.yaml")
    root = reader.parse(text)
    issues = [issue for issue in reader.issues if "the file is empty" not in issue.message]
    return root, issues


SCALARS = st.one_of(
    st.text(max_size=8), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False), st.just("0x1F")
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=20,
)
HAND_WRITTEN = [
    "a: 1\na: 2\nb: [x, y]\n",
    "? [1, 2]\n: value\nnext: 3\n",
    "? {k: v}\n: {deep: [1, {x: y}]}\nafter: here\n",
    "outer:\n  dup: 1\n  dup: {a: [1, 2]}\n  fine: yes\nlist: [a, {b: c, b: d}]\n",
    "- a\n- [b, c]\n- {d: e}\n",
    "",
    "---\n",
    "just text",
    "a: &x 1\nb: 2\n",
    "a: !!str 12\nb: !!int '7'\n",
    # Quoted and block scalars are text without asking the resolver; plain and "!" ones are resolved.
    "a: '12'\nb: \"yes\"\nc: |\n  12\nd: >\n  ~\ne: ! 12\nf: ! '12'\ng: ~\nh: yes\ni: 1.5\nj: 0x1F\n",
    "a: !!float '1.5'\nb: !!bool 'no'\nc: !!null ''\nd: !!seq x\ne: !!map y\nf: !!int nope\n",
]


@settings(max_examples=150, deadline=None)
@given(document=DOCUMENTS, flow=st.booleans())
def test_one_pass_reads_like_compose_then_convert(document: object, flow: bool) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    assert _one_pass(text) == _reference(text)


def test_one_pass_reads_bad_keys_and_duplicates_like_compose_then_convert() -> None:
    for text in HAND_WRITTEN:
        assert _one_pass(text) == _reference(text), text
