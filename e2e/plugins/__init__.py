"""The suite's pytest plugins, loaded by e2e/conftest.py. One concern per module:

profile   --profile / E2E_PROFILE: playwright.config.toml profiles onto pytest-playwright's options
browser   which Chromium (Playwright's, the system's, or a remote one via E2E_BROWSER_WS)
stack     the stack: started per worker or per run, reused, or external; the start-of-run sweep
tenants   seeder, tenant, owner_page, tech_page, customer_page, app_api, settle, wait_until
guards    a test fails on an uncaught page error or an app 5xx
bundles   failure bundles next to traces, the end-of-run summary, the leak check verdict
a11y      an axe-core scan on every app page a page object arrives on (serious/critical fail the test)
snapshots the ``snapshots`` fixture: aria snapshots and visual baselines in e2e/snapshots, --update-snapshots
shard     --shard I/N, --shard-durations, --store-durations
"""
