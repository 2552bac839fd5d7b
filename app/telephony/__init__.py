"""Telephony ingestion: Twilio's webhooks (calls, texts, delivery status, compliance), verified and deduplicated."""
