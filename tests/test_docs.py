"""README and the Chinese user guide stay true to the models: every sheet and header is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import SHOWN_ROW_MODELS
from models.policy import SHOWN_PARAMETER_KEYS, is_weight

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
GUIDE = (ROOT / "docs" / "使用说明.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make web" in first_block and "make test" in first_block
    assert "make demo" in README


@pytest.mark.parametrize("model", SHOWN_ROW_MODELS, ids=lambda m: m.SHEET)
def test_readme_lists_every_sheet_and_header(model: type) -> None:
    assert f"**{model.SHEET} ({model.ALIAS}" in README
    for header in model.shown_columns().values():
        assert header in README, header
        assert header in GUIDE, header


def test_readme_lists_every_rule_parameter() -> None:
    for key in SHOWN_PARAMETER_KEYS:
        if not is_weight(key):
            assert key in README, key


def test_guide_is_linked_from_readme() -> None:
    assert "docs/使用说明.md" in README
