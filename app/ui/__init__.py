"""Shared pieces of the server-rendered UI: templating, navigation, banners."""
