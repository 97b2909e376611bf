"""The plan JSON text: readable, one row per line, and exactly the data."""

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rotation.formats.planio import write_json_text

scalars = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.floats(allow_nan=False)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=6), values, max_size=6))
def test_round_trip(data: dict[str, Any]) -> None:
    assert json.loads(write_json_text(data)) == data


def test_one_row_per_line_chinese_kept() -> None:
    text = write_json_text(
        {"rotations": [{"teacher_id": "T1", "name": "张三"}, {"teacher_id": "T2"}]}
    )
    lines = text.splitlines()
    assert '    {"teacher_id": "T1", "name": "张三"},' in lines
    assert '    {"teacher_id": "T2"}' in lines
    assert text.endswith("}\n")
