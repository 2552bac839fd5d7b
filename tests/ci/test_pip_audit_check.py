"""scripts/pip_audit_check.py: a vulnerable pin fails `make security`; an audit that could not run is reported
as SKIPPED (never as a quiet pass); a clean audit passes and names what it could not audit."""

from __future__ import annotations

from scripts.pip_audit_check import verdict


def test_a_known_vulnerability_fails() -> None:
    report = {"dependencies": [
        {"name": "jinja2", "version": "2.10", "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}]},
        {"name": "idna", "version": "3.20", "vulns": []}]}
    code, message = verdict(1, report, "")
    assert code == 1 and "jinja2 2.10: PYSEC-2019-217 (fixed in 2.10.1)" in message


def test_nothing_audited_is_a_skip_with_its_reason() -> None:
    report = {"dependencies": [{"name": "idna", "skip_reason": "Dependency not found on PyPI"}]}
    code, message = verdict(0, report, "")
    assert code == 0 and message.startswith("pip-audit SKIPPED") and "not found on PyPI" in message


def test_no_report_at_all_is_a_skip_with_the_last_error_line() -> None:
    code, message = verdict(1, None, "Traceback ...\nrequests.exceptions.ConnectionError: api.osv.dev unreachable")
    assert code == 0 and message.startswith("pip-audit SKIPPED") and "api.osv.dev unreachable" in message


def test_a_clean_audit_passes_and_names_the_unaudited() -> None:
    report = {"dependencies": [{"name": "idna", "version": "3.20", "vulns": []},
                               {"name": "local-pkg", "skip_reason": "not on PyPI"}]}
    code, message = verdict(0, report, "")
    assert code == 0 and "no known vulnerabilities in 1 pinned packages" in message and "local-pkg" in message
