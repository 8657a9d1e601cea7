"""Prints the Grafana dashboard's queries as Prometheus recording rules, so that
`promtool check rules` parses each one (make check-prometheus): a typo in a panel's
PromQL fails the check instead of showing an empty panel."""

from __future__ import annotations

import json
import sys
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[1] / "prometheus" / "grafana-dashboard.json"


def main() -> int:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    rules = [
        {"record": f"dashboard:panel_{panel['id']}_{target['refId']}", "expr": target["expr"]}
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]
    # JSON is YAML: no YAML library needed.
    json.dump({"groups": [{"name": "grafana-dashboard", "rules": rules}]}, sys.stdout, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
