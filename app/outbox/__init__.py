"""Transactional outbox: events written with the state change, handled at least once by a worker."""
