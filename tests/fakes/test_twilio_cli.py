"""``python -m fakes twilio`` prints its address, serves, and stops on SIGTERM."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from fakes.twilio.config import DEFAULT_ACCOUNT_SID

ROOT = Path(__file__).resolve().parents[2]


def start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fakes", "twilio", "--host", "127.0.0.1", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))\n", line)
    assert match, f"unexpected first line {line!r}; stderr: {process.stderr.read() if process.stderr else ''}"
    assert int(match.group(2)) > 0
    return process, match.group(1)


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    assert process.wait(timeout=10) == 0


def test_cli_prints_the_address_and_serves_with_defaults() -> None:
    env = {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_FAKE_COMPLIANCE_CALLBACK_URL": ""}
    process, base_url = start(env=env)
    try:
        health = httpx.get(f"{base_url}/_fake/health").json()
        assert health["account_sid"] == DEFAULT_ACCOUNT_SID
        numbers = httpx.get(f"{base_url}/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/IncomingPhoneNumbers.json")
        assert numbers.status_code == 401
    finally:
        stop(process)


def test_cli_takes_credentials_from_flags_over_environment() -> None:
    sid = "AC" + "b" * 32
    env = {"TWILIO_ACCOUNT_SID": "AC" + "a" * 32, "TWILIO_AUTH_TOKEN": "from-env"}
    process, base_url = start("--account-sid", sid, "--compliance-callback-url", "http://app.test/c", env=env)
    try:
        config = httpx.get(f"{base_url}/_fake/config").json()
        assert (config["account_sid"], config["auth_token"]) == (sid, "from-env")
        assert config["compliance_callback_url"] == "http://app.test/c"
        listed = httpx.get(f"{base_url}/2010-04-01/Accounts/{sid}/Messages.json", auth=(sid, "from-env"))
        assert listed.status_code == 200 and listed.json()["messages"] == []
    finally:
        stop(process)


def test_unknown_fake_name_is_a_usage_error() -> None:
    result = subprocess.run([sys.executable, "-m", "fakes", "paypal"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "unknown fake" in result.stderr
