"""The operator API: what test suites and operations tooling use to create and remove tenants."""
