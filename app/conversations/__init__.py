"""Conversations with callers: the inbox, threads, takeover, the assistant."""
