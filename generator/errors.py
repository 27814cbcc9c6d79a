"""Problems found in data, templates or output, reported as `path:line:col: level: message`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Loc:
    """Where a value came from: file, 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}:{self.col}"


def display_path(path: str) -> str:
    """Paths relative to the working directory read better in error lists."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


@dataclass(frozen=True, order=True)
class Problem:
    loc: Loc
    message: str
    level: str = "error"

    def __str__(self) -> str:
        if not self.loc.path:  # the command line, not a file: nothing to point at
            return f"{self.level}: {self.message}"
        return f"{self.loc}: {self.level}: {self.message}"


@dataclass
class Problems:
    """Collects every problem so that all of them are reported at once."""

    items: list[Problem] = field(default_factory=list)

    def error(self, loc: Loc, message: str) -> None:
        self.items.append(Problem(loc, message, "error"))

    def warning(self, loc: Loc, message: str) -> None:
        self.items.append(Problem(loc, message, "warning"))

    def extend(self, other: "Problems") -> None:
        self.items.extend(other.items)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.level == "warning"]

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))

    def sorted(self) -> list[Problem]:
        return sorted(set(self.items))


class DataError(Exception):
    """Raised when a stage cannot go on; carries every problem found so far."""

    def __init__(self, problems: Problems | list[Problem]):
        items = problems.items if isinstance(problems, Problems) else list(problems)
        self.problems = items
        super().__init__("\n".join(str(p) for p in sorted(set(items))))
