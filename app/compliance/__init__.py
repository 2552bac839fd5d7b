"""Compliance: A2P brand registration (the gate on every outbound text) and the opt-out ledger."""
