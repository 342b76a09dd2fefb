"""Reading the Dockerfile as the builder does: continuation lines joined, comments dropped,
instructions grouped by stage, a stage's base with the ARGs before the first FROM filled in
at their defaults. Enough for the tests to ask what each stage does."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, …
    arguments: str

    def exec_form(self) -> list[str]:
        """The JSON array of CMD, ENTRYPOINT or HEALTHCHECK's CMD."""
        text = self.arguments.split(" CMD ", 1)[-1] if self.keyword == "HEALTHCHECK" else (
            self.arguments)
        value = json.loads(text.strip())
        if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise ValueError(f"{self.keyword} is not in exec form: {self.arguments}")
        return value


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"stage {self.name or self.base} has no {keyword}"
        return found[-1]


def instructions(text: str) -> list[Instruction]:
    found: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        if whole:
            keyword, _, arguments = whole.partition(" ")
            found.append(Instruction(keyword.upper(), arguments.strip()))
    return found


def global_args(text: str | None = None) -> dict[str, str]:
    """The ARGs declared before the first FROM, at their defaults: what a FROM line may use
    when no --build-arg is given."""
    found: dict[str, str] = {}
    for instruction in instructions(DOCKERFILE.read_text() if text is None else text):
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG":
            name, _, default = instruction.arguments.partition("=")
            found[name.strip()] = default.strip().strip('"')
    return found


def _substitute(word: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise ValueError(f"FROM uses ${name}, which no ARG before the first FROM declares")
        return values[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, word)


def stages(text: str | None = None) -> list[Stage]:
    text = DOCKERFILE.read_text() if text is None else text
    defaults = global_args(text)
    result: list[Stage] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            words = instruction.arguments.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            result.append(Stage(_substitute(words[0], defaults), name))
        elif result:
            result[-1].instructions.append(instruction)
    return result
