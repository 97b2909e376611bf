"""Problems found in the bureau's input, located the way a clerk finds them in Excel."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Problem(BaseModel):
    """One thing wrong (or worth a look) in the input: sheet, Excel row, column, message."""

    model_config = ConfigDict(frozen=True)

    sheet: str
    row: int | None = None
    column: str | None = None
    message: str
    severity: Literal["error", "warning"] = "error"

    def where(self) -> str:
        """「教师」表第12行「学科」列 — as much of the location as is known."""
        parts = [f"「{self.sheet}」表"] if self.sheet else []
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"「{self.column}」列")
        return "".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}：{self.message}" if where else self.message


class InputError(Exception):
    """The input cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(
            problems, key=lambda p: (p.severity != "error", p.sheet, p.row or 0, p.column or "")
        )
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"输入有 {len(errors)} 处错误")

    def __reduce__(self) -> tuple[type[InputError], tuple[list[Problem]]]:
        """Pickled with its problems (it crosses from a worker process to the web server)."""
        return (InputError, (self.problems,))

    @property
    def errors(self) -> list[Problem]:
        """Only the blocking problems."""
        return [p for p in self.problems if p.severity == "error"]
