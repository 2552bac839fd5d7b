"""Skips of every kind, for tests/seed/test_skip_policy.py (collected only with E2E_SELF_CHECK=1).

None of them needs the stack: the skip policy is about how a test ends, not what it drives.
"""

from __future__ import annotations

import pytest

from e2e.support import skip_outside_app


def test_skips_for_a_reason_outside_the_app() -> None:
    skip_outside_app("no_twilio_fake", "selfcheck: this target has no Twilio fake")


def test_skips_because_a_feature_is_missing() -> None:
    pytest.skip("selfcheck: the feature is not there yet")


@pytest.mark.xfail(reason="selfcheck: known broken")
def test_is_expected_to_fail() -> None:
    raise AssertionError("selfcheck: broken")


def test_the_helper_refuses_a_reason_inside_the_app() -> None:
    with pytest.raises(ValueError, match="not a reason to skip a flow test"):
        skip_outside_app("feature_missing", "selfcheck")
