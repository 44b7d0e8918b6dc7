"""Pick the stack's role from config and run it."""

from __future__ import annotations

from typing import Any

from specs.loading import load_secrets, load_settings


async def main() -> dict[str, Any]:
    settings = load_settings()
    secrets = load_secrets(settings)
    if settings.role == "party":
        from stacks import party

        return await party.run(settings, secrets)
    if settings.role == "exchange":
        from stacks import exchange

        return await exchange.run(settings, secrets)
    from stacks import local

    return await local.run(settings, secrets)
