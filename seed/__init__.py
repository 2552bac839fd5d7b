"""Everything the e2e suite sets up: the stack (app + fakes), ephemeral tenants, and the waiting helpers.

* :mod:`seed.stack` starts the app and both fakes (or describes an external target);
* :mod:`seed.seeder` creates tenants through the operator API (:class:`TenantSeeder`), recorded in a
  run ledger first (:mod:`seed.ledger`) so :mod:`seed.sweeper` can clean up after a crashed run;
* :mod:`seed.factories` builds reproducible data with Faker, :mod:`seed.numbers` fictional numbers;
* :mod:`seed.waiting` holds ``wait_until`` and ``Settle`` — the only code of the suite that pauses.

CLI: ``python -m seed sweep [--dry-run]`` and ``python -m seed stack`` (see ``seed/__main__.py``).
"""

from seed.factories import CatalogItem, TenantFactory, TenantOptions
from seed.handle import MintedSession, TenantHandle, UserCredentials
from seed.operator import OperatorApiUnavailable, OperatorClient, OperatorError
from seed.seeder import NotCreatedBySeeder, SeedingFailed, TenantSeeder
from seed.stack import Stack, StackError, StackLauncher
from seed.waiting import Settle, SettleViolation, WaitTimeout, wait_until

__all__ = [
    "CatalogItem",
    "MintedSession",
    "NotCreatedBySeeder",
    "OperatorApiUnavailable",
    "OperatorClient",
    "OperatorError",
    "SeedingFailed",
    "Settle",
    "SettleViolation",
    "Stack",
    "StackError",
    "StackLauncher",
    "TenantFactory",
    "TenantHandle",
    "TenantOptions",
    "TenantSeeder",
    "UserCredentials",
    "WaitTimeout",
    "wait_until",
]
