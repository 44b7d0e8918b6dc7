"""Pick the stack's role from config and run it."""

from __future__ import annotations

from typing import Any

from stacks.config import load_settings


async def main() -> dict[str, Any]:
    settings = load_settings()
    if settings.role == "party":
        from stacks import party

        return await party.run(settings)
    if settings.role == "exchange":
        from stacks import exchange

        return await exchange.run(settings)
    from stacks import local

    return await local.run(settings)
