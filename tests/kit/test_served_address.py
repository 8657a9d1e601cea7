"""The record `serve` leaves for `admin login-link`: read only while its server lives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infrasync.kit import served_address


def _exited_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_a_live_servers_record_is_read(tmp_path: Path) -> None:
    served_address.record(tmp_path / ".infrasync", "http://127.0.0.1:9123")
    assert served_address.running_server_url(tmp_path / ".infrasync") == "http://127.0.0.1:9123"


def test_a_stopped_servers_record_is_not(tmp_path: Path) -> None:
    (tmp_path / "served.json").write_text(
        json.dumps({"url": "http://127.0.0.1:9123", "pid": _exited_pid()}), encoding="utf-8"
    )
    assert served_address.running_server_url(tmp_path) is None


def test_no_record_or_a_damaged_one_is_none(tmp_path: Path) -> None:
    assert served_address.running_server_url(tmp_path) is None
    for damaged in ("", "{", "[]", '{"url": "javascript:x", "pid": 1}', '{"url": "http://a"}'):
        (tmp_path / "served.json").write_text(damaged, encoding="utf-8")
        assert served_address.running_server_url(tmp_path) is None, damaged


def test_forget_removes_only_this_processs_record(tmp_path: Path) -> None:
    served_address.record(tmp_path, "http://127.0.0.1:9123")
    served_address.forget(tmp_path)
    assert not (tmp_path / "served.json").exists()
    # Another server's record (a later `serve` from the same directory) stays.
    other = {"url": "http://127.0.0.1:9124", "pid": os.getppid()}
    (tmp_path / "served.json").write_text(json.dumps(other), encoding="utf-8")
    served_address.forget(tmp_path)
    assert served_address.running_server_url(tmp_path) == "http://127.0.0.1:9124"


def test_an_unwritable_data_directory_costs_only_the_record(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    served_address.record(blocker / ".infrasync", "http://127.0.0.1:9123")  # no raise
    assert served_address.running_server_url(blocker / ".infrasync") is None
