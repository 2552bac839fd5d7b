"""The stack the e2e suite runs against: the app and the provider fakes as real processes.

* :mod:`stack.config` reads playwright.config.toml (the run profiles and the [stack] recipe);
* :mod:`stack.launcher` starts and stops one stack by that recipe (:class:`~stack.launcher.StackLauncher`);
* :mod:`stack.description` is a running stack as data (:class:`~stack.description.Stack`), to and from JSON;
* :mod:`stack.applog` reads the app's JSON log;
* :mod:`stack.coverage_contexts` is the coverage.py plugin inside the stack's processes (`make e2e-coverage`).

CLI: ``python -m stack`` keeps one running for ``pytest e2e --reuse-stack``.
"""
