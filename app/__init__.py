"""NeverMissCall: texts back the callers a small business missed, quotes the job, books it, bills it."""
