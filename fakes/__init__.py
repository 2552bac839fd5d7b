"""Local HTTP fakes of Twilio and Stripe (see fakes/README.md). Shared machinery: ``fakes.core``."""
