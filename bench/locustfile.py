"""Load: missed calls at a steady rate, through the Twilio fake's control API (SPEC 7, issue 8).

Every call is a real signed voice-status webhook from the fake to the app (`POST /_fake/calls`), from a
caller never seen before, to one of the business numbers provisioned at the fake; the app must answer
each with a text (checked afterwards by `python -m bench`, from the fake's journal).

Point `--host` at the Twilio fake. The rate is the total for the whole run, however many users or
worker processes share it, so the same command line works headless on one machine or distributed:

    locust -f bench/locustfile.py --headless -u 25 -r 25 -t 2m --host $TWILIO_FAKE_URL --calls-per-min 500
    locust -f bench/locustfile.py --master --headless --expect-workers 2 -u 25 -r 25 -t 2m \
           --host $TWILIO_FAKE_URL --calls-per-min 500
    locust -f bench/locustfile.py --worker --master-host MASTER_HOST      # on each worker machine

Callers are `+1 2 NNN WW CCCC`: NNN random per process, WW the worker's index, CCCC a counter, so no
two calls of one run share a caller (up to 10,000 calls per worker process).
"""

from __future__ import annotations

import itertools
import random
import time
from typing import Any

import gevent
from locust import HttpUser, events, task
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment

_process_nonce = random.SystemRandom().randrange(1000)
_counter = itertools.count()
_business_numbers: list[str] = []


@events.init_command_line_parser.add_listener
def _arguments(parser: LocustArgumentParser) -> None:
    parser.add_argument("--calls-per-min", type=float, default=500.0, env_var="BENCH_CALLS_PER_MIN",
                        help="missed calls per minute for the whole run (all users, all workers)")
    parser.add_argument("--business-numbers", default="", env_var="BENCH_BUSINESS_NUMBERS",
                        help="comma-separated numbers to call; default: every number provisioned at the fake")


@events.init.add_listener
def _share_user_count(environment: Environment, **_kwargs: Any) -> None:
    """Workers do not receive -u (locust forwards only custom options), so the pacing reads it from here."""
    options = environment.parsed_options
    if options is not None and getattr(options, "num_users", None):
        options.bench_total_users = options.num_users  # a custom key: sent to every worker with the spawn


def _worker_index(environment: Environment) -> int:
    return int(getattr(environment.runner, "worker_index", 0) or 0)


def next_caller(environment: Environment) -> str:
    """A caller number unique within this run (see the module docstring)."""
    count = next(_counter)
    if count >= 10_000:
        raise RuntimeError("more than 10,000 calls from one worker process: add workers or shorten the run")
    return f"+12{_process_nonce:03d}{_worker_index(environment) % 100:02d}{count:04d}"


class MissedCaller(HttpUser):
    """One stream of customers calling a business that does not pick up."""

    _next_at = 0.0  # when this user's next call is due (time.monotonic)

    def _per_user_rate(self) -> float:
        """Calls per second of this user: the run's total rate shared by all users (of all workers)."""
        options = self.environment.parsed_options
        users = max(1, int(getattr(options, "bench_total_users", None) or getattr(options, "num_users", 1) or 1))
        return float(getattr(options, "calls_per_min", 500.0)) / 60 / users

    def wait_time(self) -> float:
        # A fixed schedule (not locust's constant_throughput, whose first wait is 0 and so starts with a
        # burst): each user calls every 1/rate seconds; a user that fell behind catches up without sleeping.
        self._next_at += 1 / self._per_user_rate()
        return max(0.0, self._next_at - time.monotonic())

    def on_start(self) -> None:
        # Users spawn together; a random first offset within one interval spreads their calls evenly.
        self._next_at = time.monotonic() + random.uniform(0, 1 / self._per_user_rate())
        if not _business_numbers:
            given = str(getattr(self.environment.parsed_options, "business_numbers", "") or "")
            numbers = [n.strip() for n in given.split(",") if n.strip()]
            if not numbers:
                response = self.client.get("/_fake/numbers", name="list numbers")
                numbers = [n["phone_number"] for n in response.json().get("numbers", [])]
            if not numbers:
                raise RuntimeError("the Twilio fake has no provisioned numbers: create tenants first")
            _business_numbers[:] = numbers
        gevent.sleep(max(0.0, self._next_at - time.monotonic()))

    @task
    def missed_call(self) -> None:
        body: dict[str, Any] = {"from": next_caller(self.environment), "to": random.choice(_business_numbers),
                                "status": "no-answer", "duration": 0}
        with self.client.post("/_fake/calls", json=body, name="missed call", catch_response=True) as response:
            answer = response.json() if response.status_code == 200 else {}
            if answer.get("status_code") != 200:
                response.failure(f"fake {response.status_code}, app {answer.get('status_code')}: "
                                 f"{answer.get('error') or response.text[:200]}")
