"""The list of domain routers, in one place so main.py stays an assembly line."""

from __future__ import annotations

from fastapi import APIRouter


def domain_routers() -> list[APIRouter]:
    # Imported here so importing app.main does not drag in every domain at module load.
    from app.conversations import views as conversation_views

    return [
        conversation_views.router,
    ]
