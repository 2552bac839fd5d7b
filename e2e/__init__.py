"""The Playwright flow suite. Run it with `pytest e2e` (see docs/suite.md)."""
