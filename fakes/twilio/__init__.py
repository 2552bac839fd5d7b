"""Twilio fake: REST 2010 Messages/IncomingPhoneNumbers, A2P brands, signed webhooks, control API.

In-process::

    from fakes.twilio import running_twilio_fake

    with running_twilio_fake() as fake:          # free port on 127.0.0.1
        fake.base_url                            # "http://127.0.0.1:PORT"
        client = fake.sdk_client()               # twilio.rest.Client pointed at the fake
        fake.control.missed_call(from_="+15550100001", to="+15550100002")

CLI: ``python -m fakes twilio --host 127.0.0.1 --port 0``. See fakes/README.md.
"""

from fakes.twilio.app import TwilioFake
from fakes.twilio.cli import cli_main
from fakes.twilio.client import TwilioFakeClient
from fakes.twilio.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, TwilioFakeConfig
from fakes.twilio.running import RunningTwilioFake, running_twilio_fake, sdk_client
from fakes.twilio.signing import compute_signature

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "RunningTwilioFake",
    "TwilioFake",
    "TwilioFakeClient",
    "TwilioFakeConfig",
    "cli_main",
    "compute_signature",
    "running_twilio_fake",
    "sdk_client",
]
