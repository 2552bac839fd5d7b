"""External calendars (seed 003 §4.3): a tenant's Google Calendar blocks the slots the assistant offers, and
appointments booked here are written to it.

Busy time is mirrored into `calendar_busy` (the shadow table) by an incremental sync with Google's sync
tokens, started by a push notification (`/webhooks/google/calendar`) and by a poll every
CALENDAR_POLL_INTERVAL_SECONDS on the tenant clock, so a lost notification costs at most one interval.
Both run through the outbox (`CalendarChanged`), whose retries with jittered backoff absorb provider
5xx and timeouts; appointments go out the same way (`CalendarPushRequested`) under a client-given event
id, so a retried insert cannot create a second event.
"""
