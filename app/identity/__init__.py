"""Users, roles, passwords and sessions."""
