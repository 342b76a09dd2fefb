"""The figures of a run: a printed table and a JSON file under bench/results/."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.load import Figures

BASELINE = "baseline"
GRAPHQL = "graphql"
TARGETS = (BASELINE, GRAPHQL)
COLUMNS = ("operation", "target", "req/s", "p50 ms", "p99 ms", "ratio req/s", "ratio p99",
           "sql/req")


@dataclass
class OperationResult:
    name: str
    answers_equal: bool
    mismatches: list[str] = field(default_factory=list)
    figures: dict[str, Figures] = field(default_factory=dict)  # by target, all rounds
    rounds: list[dict[str, Figures]] = field(default_factory=list)  # by target, per round
    statements_per_request: dict[str, float] = field(default_factory=dict)  # by target

    @property
    def throughput_ratio(self) -> float:
        return self.figures[GRAPHQL].requests_per_s / self.figures[BASELINE].requests_per_s

    @property
    def p99_ratio(self) -> float:
        return self.figures[GRAPHQL].p99_ms / self.figures[BASELINE].p99_ms

    def as_json(self) -> dict[str, Any]:
        measured = bool(self.figures)
        return {
            "name": self.name,
            "answers_equal": self.answers_equal,
            "mismatches": self.mismatches,
            "figures": {target: asdict(f) for target, f in self.figures.items()},
            "ratio_requests_per_s": self.throughput_ratio if measured else None,
            "ratio_p99": self.p99_ratio if measured else None,
            "rounds": [{t: asdict(f) for t, f in r.items()} for r in self.rounds],
            "statements_per_request": self.statements_per_request,
        }


def _row(result: OperationResult, target: str) -> list[str]:
    figures = result.figures[target]
    ratios = ([f"{result.throughput_ratio:.2f}x", f"{result.p99_ratio:.2f}x"]
              if target == GRAPHQL else ["", ""])
    statements = result.statements_per_request.get(target)
    name = result.name if result.answers_equal else f"{result.name} (ANSWERS DIFFER)"
    return [name, target, f"{figures.requests_per_s:,.0f}", f"{figures.p50_ms:.2f}",
            f"{figures.p99_ms:.2f}", *ratios, "" if statements is None else f"{statements:g}"]


def table(results: list[OperationResult]) -> str:
    """A Markdown table, so it pastes into docs/performance.md as it is."""
    rows = [list(COLUMNS)] + [
        _row(result, target) for result in results if result.figures for target in TARGETS
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
             for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_json(path: Path, context: dict[str, Any], results: list[OperationResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**context, "operations": [result.as_json() for result in results]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
