"""Reporting: the first-response tracker and the dashboard figures."""
