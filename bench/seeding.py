"""tenant_seed_teardown_ms: one ephemeral tenant created and deleted through the operator API, as each flow test does.

"Seed" is TenantSeeder.create (POST /api/operator/tenants with owner, one tech, a catalog, business hours
and a number provisioned at the Twilio fake, then a session minted per user); "teardown" is the DELETE.
"""

from __future__ import annotations

import time
from typing import Any

from bench.stats import summary
from bench.tenants import seeder_for
from seed.operator import OperatorClient
from stack.description import Stack


def measure(stack: Stack, *, samples: int, warmup: int = 3) -> dict[str, Any]:
    with OperatorClient(stack.base_url, stack.operator_token) as operator:
        seeder = seeder_for(stack, operator, key="seeding")
        totals: list[float] = []
        creates: list[float] = []
        deletes: list[float] = []
        for index in range(warmup + samples):
            started = time.perf_counter()
            handle = seeder.create()
            created = time.perf_counter()
            seeder.delete(handle)
            done = time.perf_counter()
            if index >= warmup:  # the first requests pay for imports and connection set-up
                totals.append((done - started) * 1000)
                creates.append((created - started) * 1000)
                deletes.append((done - created) * 1000)
    result: dict[str, Any] = summary(totals)
    result["seed_p50"] = summary(creates)["p50"]
    result["seed_p95"] = summary(creates)["p95"]
    result["teardown_p50"] = summary(deletes)["p50"]
    result["teardown_p95"] = summary(deletes)["p95"]
    return result
