"""Tenants for the benchmarks, made the way the flow suite makes them: TenantSeeder through the operator API."""

from __future__ import annotations

import secrets

from seed.factories import TenantFactory
from seed.numbers import NumberPlan
from seed.operator import OperatorClient
from seed.run import RunIdentity
from seed.seeder import TenantSeeder
from stack.description import Stack


def seeder_for(stack: Stack, operator: OperatorClient, *, key: str) -> TenantSeeder:
    """A seeder without a ledger (the bench's stack and database are thrown away afterwards)."""
    run = RunIdentity.of_this_process()
    factory = TenantFactory(f"bench/{key}", numbers=NumberPlan(f"{run.run_id}/bench/{key}/{secrets.token_hex(4)}"),
                            unique_prefix=f"b{secrets.token_hex(3)}")
    return TenantSeeder(operator, factory=factory, run=run, ledger=None, target_id=stack.target_id,
                        disposable_target=stack.disposable, test_name=f"bench:{key}")


def caller_numbers(key: str) -> NumberPlan:
    """Customers' numbers, never the same one twice within this plan (unique callers, as SPEC 7 asks)."""
    return NumberPlan(f"bench/callers/{key}/{secrets.token_hex(4)}")
