"""Ephemeral tenants for the e2e suite, seeded through the app's operator API.

* :mod:`seed.seeder` creates tenants through the operator API (:class:`TenantSeeder`), recorded in a
  run ledger first (:mod:`seed.ledger`) so :mod:`seed.sweeper` can clean up after a crashed run;
* :mod:`seed.factories` builds reproducible data with Faker, :mod:`seed.numbers` fictional numbers;
* :mod:`seed.operator` is the operator API's client.

CLI: ``python -m seed sweep [--dry-run]`` (see ``seed/__main__.py``).
"""

from seed.factories import CatalogItem, TenantFactory, TenantOptions
from seed.handle import MintedSession, TenantHandle, UserCredentials
from seed.operator import OperatorApiUnavailable, OperatorClient, OperatorError
from seed.seeder import NotCreatedBySeeder, SeedingFailed, TenantSeeder

__all__ = [
    "CatalogItem",
    "MintedSession",
    "NotCreatedBySeeder",
    "OperatorApiUnavailable",
    "OperatorClient",
    "OperatorError",
    "SeedingFailed",
    "TenantFactory",
    "TenantHandle",
    "TenantOptions",
    "TenantSeeder",
    "UserCredentials",
]
