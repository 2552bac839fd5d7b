"""Tenants: the businesses using NeverMissCall, their phone numbers and their clock."""
