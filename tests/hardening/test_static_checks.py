"""The static checks are wired into `make test`, and the dependency audit's verdicts
(vulnerable, offline, partly checked) are the ones an engineer can act on."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _audit_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", ROOT / ".ci" / "audit_deps.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake_run(report: dict[str, Any] | None, stderr: str = "", code: int = 0) -> Any:
    def run(cmd: list[str], **_kwargs: Any) -> subprocess.CompletedProcess[str]:
        if report is not None:
            Path(cmd[cmd.index("-o") + 1]).write_text(json.dumps(report))
        return subprocess.CompletedProcess(cmd, code, "", stderr)

    return run


def test_make_test_runs_every_static_check() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*\bcheck\b", makefile, re.M)
    check = makefile.split("\ncheck:", 1)[1].split("\n\n", 1)[0]
    for tool in ("ruff check", "mypy intake", "bandit", "audit_deps.py"):
        assert tool in check


def test_vulnerability_fails_with_the_pin_to_raise(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    audit = _audit_module()
    report = {"dependencies": [
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {"name": "jinja2", "version": "3.1.6",
         "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["3.1.7"]}]}]}
    monkeypatch.setattr(audit.subprocess, "run", _fake_run(report, code=1))
    assert audit.main() == 1
    err = capsys.readouterr().err
    assert "jinja2==3.1.6: GHSA-xxxx (fixed in: 3.1.7)" in err
    assert "constraints.txt" in err


def test_unreachable_service_is_reported_not_failed(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    audit = _audit_module()
    monkeypatch.setattr(audit.subprocess, "run", _fake_run(
        None, stderr="requests.exceptions.ConnectionError: Max retries exceeded", code=1))
    assert audit.main() == 0
    assert "NOT audited" in capsys.readouterr().out
    everything_skipped = {"dependencies": [
        {"name": "flask", "skip_reason": "Dependency not found on PyPI"}]}
    monkeypatch.setattr(audit.subprocess, "run", _fake_run(everything_skipped))
    assert audit.main() == 0
    assert "SKIPPED" in capsys.readouterr().out


def test_other_audit_failures_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    audit = _audit_module()
    monkeypatch.setattr(audit.subprocess, "run",
                        _fake_run(None, stderr="invalid requirement line 3", code=2))
    assert audit.main() == 1


def test_partial_audit_names_what_was_not_checked(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    audit = _audit_module()
    report = {"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []},
                               {"name": "opendp", "skip_reason": "not found"}]}
    monkeypatch.setattr(audit.subprocess, "run", _fake_run(report))
    assert audit.main() == 0
    out = capsys.readouterr().out
    assert "not audited (1): opendp" in out and "no known vulnerabilities in 1" in out


def test_shipped_nginx_matches_the_app_and_logs_nothing() -> None:
    import tomllib

    defaults = tomllib.loads((ROOT / "config" / "defaults.toml").read_text())
    # The app reads upload requests up to one file past max_request_mb (public/uploads.py),
    # so nginx must let that much through, as the README says (issue 13, finding 13).
    body_mb = defaults["max_request_mb"] + defaults["max_file_mb"] + 1
    assert f"client_max_body_size {body_mb}m" in (ROOT / "README.md").read_text()
    assert f"client_max_body_size {body_mb}m" in (ROOT / "docs" / "deploy.md").read_text()
    nginx = (ROOT / "deploy" / "nginx-intake.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in nginx.splitlines())
    servers = code.split("server {")[1:]
    assert len(servers) >= 3
    for block in servers:
        assert "access_log off;" in block
        assert "error_log /dev/null emerg;" in block
        if "proxy_pass" in block:
            assert f"client_max_body_size {body_mb}m;" in block
            assert "proxy_request_buffering off;" in block
            assert "proxy_max_temp_file_size 0;" in block
            assert "proxy_add_x_forwarded_for" not in block
    assert "8001" not in code, "the review app must not be published through nginx"


def test_systemd_units_use_the_shipped_gunicorn_config() -> None:
    for name, app in (("intake-public.service", "intake.public"),
                      ("intake-review.service", "intake.review")):
        unit = (ROOT / "deploy" / name).read_text()
        assert "--config /opt/intake/config/gunicorn.conf.py" in unit
        assert f'"{app}:create_app()"' in unit
        assert "--access-logfile" not in unit
    torrc = (ROOT / "deploy" / "torrc.example").read_text()
    review = torrc.split("HiddenServiceDir /var/lib/tor/intake-review/")[1]
    assert "127.0.0.1:8001" in review and "authorized_clients" in torrc
