"""The figures of a run: a printed table and a JSON file under bench/results/."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.load import Figures
from bench.operations import Goal

BASELINE = "baseline"  # the hand-written reads
COMPILED = "compiled"  # Rapport as deployed: compiled reads on (the default)
EXECUTED = "executed"  # Rapport executing field by field (RAPPORT_COMPILED_READS=false)
TARGETS = (BASELINE, COMPILED, EXECUTED)
# Goals are the compiled path's, the one hot reads take; executed rows are for comparison.
GOAL_TARGETS = (COMPILED,)
COLUMNS = ("operation", "target", "req/s", "p50 ms", "p99 ms", "ratio req/s", "ratio p99",
           "sql/req")
MET, MISSED = "✓", "✗"


@dataclass
class OperationResult:
    name: str
    goal: Goal
    mismatches: dict[str, list[str]] = field(default_factory=dict)  # by target; diffs
    figures: dict[str, Figures] = field(default_factory=dict)  # by target, all rounds
    rounds: list[dict[str, Figures]] = field(default_factory=list)  # by target, per round
    statements_per_request: dict[str, float] = field(default_factory=dict)  # by target

    @property
    def answers_equal(self) -> bool:
        return not any(self.mismatches.values())

    def throughput_ratio(self, target: str) -> float:
        return self.figures[target].requests_per_s / self.figures[BASELINE].requests_per_s

    def p99_ratio(self, target: str) -> float:
        return self.figures[target].p99_ms / self.figures[BASELINE].p99_ms

    def goals_met(self, target: str) -> dict[str, bool]:
        """Each goal of the operation that applies and was measured: met or not."""
        met: dict[str, bool] = {}
        if target not in GOAL_TARGETS or target not in self.figures:
            return met
        if self.goal.throughput_ratio is not None:
            met["throughput_ratio"] = self.throughput_ratio(target) >= self.goal.throughput_ratio
        if self.goal.p99_ratio is not None:
            met["p99_ratio"] = self.p99_ratio(target) <= self.goal.p99_ratio
        if self.goal.p99_ms is not None:
            met["p99_ms"] = self.figures[target].p99_ms < self.goal.p99_ms
        if target in self.statements_per_request and self.goal.statements is not None:
            met["statements"] = self.statements_per_request[target] <= self.goal.statements
        return met

    def as_json(self) -> dict[str, Any]:
        compared = [target for target in self.figures if target != BASELINE]
        measured = BASELINE in self.figures
        return {
            "name": self.name,
            "goal": asdict(self.goal),
            "answers_equal": self.answers_equal,
            "mismatches": self.mismatches,
            "figures": {target: asdict(f) for target, f in self.figures.items()},
            "ratio_requests_per_s": {t: self.throughput_ratio(t) for t in compared}
            if measured else {},
            "ratio_p99": {t: self.p99_ratio(t) for t in compared} if measured else {},
            "goals_met": {t: self.goals_met(t) for t in compared} if measured else {},
            "rounds": [{t: asdict(f) for t, f in r.items()} for r in self.rounds],
            "statements_per_request": self.statements_per_request,
        }


def _marked(text: str, met: bool | None) -> str:
    return text if met is None else f"{text} {MET if met else MISSED}"


def _row(result: OperationResult, target: str) -> list[str]:
    figures = result.figures[target]
    met = result.goals_met(target)
    ratios = ["", ""] if target == BASELINE else [
        _marked(f"{result.throughput_ratio(target):.2f}x", met.get("throughput_ratio")),
        _marked(f"{result.p99_ratio(target):.2f}x", met.get("p99_ratio")),
    ]
    statements = result.statements_per_request.get(target)
    differs = result.mismatches.get(target)
    name = f"{result.name} (ANSWERS DIFFER)" if differs else result.name
    return [name, target, f"{figures.requests_per_s:,.0f}", f"{figures.p50_ms:.2f}",
            _marked(f"{figures.p99_ms:.2f}", met.get("p99_ms")), *ratios,
            "" if statements is None else _marked(f"{statements:g}", met.get("statements"))]


def table(results: list[OperationResult]) -> str:
    """A Markdown table, so it pastes into docs/performance.md as it is."""
    rows = [list(COLUMNS)] + [
        _row(result, target) for result in results if BASELINE in result.figures
        for target in TARGETS if target in result.figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
             for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def goals_legend(results: list[OperationResult]) -> str:
    """What the marks mean, and how many goals the run met."""
    throughput = ", ".join(f"≥ {r.goal.throughput_ratio:.2f}x on {r.name}"
                           for r in results if r.goal.throughput_ratio is not None)
    p99 = ", ".join(f"ratio p99 ≤ {r.goal.p99_ratio:g}x on {r.name}" if r.goal.p99_ratio
                    else f"p99 < {r.goal.p99_ms:g} ms on {r.name}" for r in results
                    if r.goal.p99_ratio or r.goal.p99_ms)
    statements = ", ".join(f"≤ {r.goal.statements:g} on {r.name}" for r in results
                           if r.statements_per_request and r.goal.statements is not None)
    met = [ok for r in results if BASELINE in r.figures
           for target in GOAL_TARGETS for ok in r.goals_met(target).values()]
    return (f"{MET}/{MISSED} = goal met/missed, "
            f"{' and '.join(GOAL_TARGETS)} rows only: ratio req/s {throughput or 'none'}; "
            f"{p99 or 'no p99 goal'}; sql/req {statements or 'no goal'}. "
            f"Met: {sum(met)} of {len(met)}.")


def write_json(path: Path, context: dict[str, Any], results: list[OperationResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**context, "operations": [result.as_json() for result in results]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
