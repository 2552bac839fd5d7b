"""Imports every domain module that registers outbox handlers, so any worker process knows them all."""

from __future__ import annotations
