"""docs/operations.md stays true to the code: its table of settings names exactly the
variables infrastructure/settings.py reads, its table of metrics exactly the instruments
infrastructure/telemetry.py makes, and its periodic jobs are the chart's."""

import re

import yaml

from tests.deploy.dockerfile import REPO

DOC = REPO / "docs" / "operations.md"


def _section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _first_column(section: str) -> list[str]:
    return re.findall(r"^\| `([^`]+)`", section, flags=re.MULTILINE)


def test_the_settings_table_names_every_variable_rapport_reads_and_no_other() -> None:
    read = set(re.findall(r'"(RAPPORT_[A-Z0-9_]+)"',
                          (REPO / "infrastructure" / "settings.py").read_text()))
    documented = set(_first_column(_section("Every setting")))
    assert sorted(read - documented) == [], "add these to docs/operations.md, Every setting"
    assert sorted(documented - read) == [], "these are no longer read: take them out"


def test_the_metrics_table_names_every_instrument_rapport_makes_and_no_other() -> None:
    made = set(re.findall(r'create_\w+\(\s*"([a-z0-9_.]+)"',
                          (REPO / "infrastructure" / "telemetry.py").read_text()))
    telemetry = _section("Telemetry")
    metrics = telemetry[telemetry.index("\n### Metrics\n"):telemetry.index("\n### Logs\n")]
    assert made, "no instrument found: the pattern above is out of date"
    assert set(_first_column(metrics)) == made


def test_the_periodic_jobs_table_lists_the_charts_cronjobs() -> None:
    values = yaml.safe_load((REPO / "helm" / "rapport" / "values.yaml").read_text())
    jobs = {f"rapport-{name}" for name in values["cronJobs"]["jobs"]}
    documented = {name for name in _first_column(_section("Deploying with Helm"))
                  if name.startswith("rapport-") and not name.startswith("rapport-migrations")}
    assert documented == jobs


def test_the_readme_points_operators_to_the_operations_guide() -> None:
    assert "(docs/operations.md)" in (REPO / "README.md").read_text()
