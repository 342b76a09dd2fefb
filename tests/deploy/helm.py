"""Rendering the chart with Helm's own template engine, offline.

The engine is Helm v4's Go SDK, shipped as a shared library in the `helm-python-sdk` wheel
(PyPI; no helm binary, no cluster): `Chart.render` is what `helm template` does, with the
chart's values.schema.json checked first, and `lint` is `helm lint`. Of the other packages
that carry Helm, `helm-package` bundles helm v3 for macOS and Windows only, and `helm-sdkpy`
(also v4) needs Python 3.12. The chart is apiVersion v2 and uses nothing that Helm v3 and
v4 render differently, so no hand-written renderer stands in for the engine.

The library starts a Go runtime in the process that loads it, so each render runs in a
child interpreter (`python -m tests.deploy.helm`) and the test process never loads it.
"""

import json
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "rapport"
RELEASE, NAMESPACE = "rapport", "crm"
Manifest = dict[str, Any]


class HelmRefused(Exception):
    """Helm would not render: values against the schema, or a template's own failure."""


@dataclass(frozen=True)
class Rendered:
    manifests: list[Manifest]
    notes: str

    def of_kind(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m["kind"] == kind]

    def one(self, kind: str, name: str | None = None) -> Manifest:
        found = [m for m in self.of_kind(kind) if name is None or m["metadata"]["name"] == name]
        assert len(found) == 1, f"{len(found)} {kind} named {name}"
        return found[0]


def _child(request: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.deploy.helm"], cwd=REPO, input=json.dumps(request),
        capture_output=True, text=True, timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the Helm child failed: {result.stderr}")
    answer: dict[str, Any] = json.loads(result.stdout)
    if "refused" in answer:
        raise HelmRefused(answer["refused"])
    return answer


@cache
def _render_json(values_json: str) -> Rendered:
    answer = _child({"action": "render", "values": json.loads(values_json)})
    manifests: list[Manifest] = []
    notes = ""
    for path, text in sorted(answer["manifests"].items()):
        if path.endswith("NOTES.txt"):
            notes = text
            continue
        manifests += [doc for doc in yaml.safe_load_all(text) if doc]
    return Rendered(manifests, notes)


def render(values: dict[str, Any] | None = None) -> Rendered:
    """What `helm template rapport helm/rapport -n crm -f values` prints, as manifests."""
    return _render_json(json.dumps(values or {}, sort_keys=True))


def lint() -> dict[str, Any]:
    """`helm lint --strict`'s report: {"messages": [{"severity", "path", "error"}], …}."""
    report: dict[str, Any] = _child({"action": "lint"})["report"]
    return report


def _serve() -> None:
    """The child: one request on stdin, its answer on stdout."""
    import helm_python as helm

    request = json.load(sys.stdin)
    try:
        if request["action"] == "lint":
            answer: dict[str, Any] = {"report": helm.lint(str(CHART), strict=True)}
        else:
            with helm.Chart.load(str(CHART)) as chart:
                answer = {"manifests": chart.render(
                    request["values"], name=RELEASE, namespace=NAMESPACE, is_install=True)}
    except (helm.HelmValuesError, helm.HelmRenderError) as error:
        answer = {"refused": str(error)}
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    _serve()
