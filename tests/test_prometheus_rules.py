"""deploy/prometheus: every metric an alert, its promtool test or the Grafana dashboard
names is one the app's GET /metrics declares, so a renamed metric cannot leave an alert
silently watching nothing (promtool's own tests would still pass on their made-up
series)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import yaml

PROMETHEUS = Path(__file__).resolve().parents[1] / "deploy" / "prometheus"
METRIC = re.compile(r"\binfrasync_[a-z_]+")
# Series a histogram or counter family exposes under its declared name.
SUFFIXES = ("_bucket", "_count", "_sum", "_created")


def _declared(text: str) -> set[str]:
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def _family(name: str, declared: set[str]) -> str:
    if name in declared:
        return name
    for suffix in SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in declared:
            return name.removesuffix(suffix)
    return name


def _named_in_rules() -> set[str]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text(encoding="utf-8"))
    series = [s["series"] for test in tests["tests"] for s in test["input_series"]]
    dashboard = json.loads((PROMETHEUS / "grafana-dashboard.json").read_text(encoding="utf-8"))
    panels = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    return {name for text in exprs + series + panels for name in METRIC.findall(text)}


async def test_every_metric_in_the_alert_rules_is_served(client: httpx.AsyncClient) -> None:
    declared = _declared((await client.get("/metrics")).text)
    named = _named_in_rules()
    assert len(named) >= 8  # the seven alerts' metrics (and the histogram's buckets)
    unknown = sorted(name for name in named if _family(name, declared) not in declared)
    assert unknown == [], f"alerts name metrics /metrics does not serve: {unknown}"


def test_every_alert_has_a_promtool_test() -> None:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text(encoding="utf-8"))
    firing = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert alerts - firing == set(), "each alert needs a promtool test where it fires"
