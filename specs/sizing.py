"""The production sizing policy: a user's sizes may not go below the production presets (facts.sizing)."""

from __future__ import annotations

from collections.abc import Mapping

from facts.sizing import PRODUCTION_VOLUME_SIZE, production_minimum, quantity_value


def production_size_problem(volume_sizes: Mapping[str, str], resources: Mapping[str, tuple[str, str]]) -> str | None:
    """Why these sizes are below the production sizing, or None; `resources` maps module -> (cpu, memory)."""
    for module, size in volume_sizes.items():
        if quantity_value(size) < quantity_value(PRODUCTION_VOLUME_SIZE):
            return (f"persistence.sizes.{module} is {size}; the production sizing needs volumes of at least "
                    f"{PRODUCTION_VOLUME_SIZE} (raise it, or use sizing: dev)")
    for module, (cpu, memory) in resources.items():
        cpu_min, memory_min = production_minimum(module)
        if quantity_value(cpu) < quantity_value(cpu_min) or quantity_value(memory) < quantity_value(memory_min):
            return (f"resources.{module} is {cpu} CPU / {memory}; the production sizing needs at least "
                    f"{cpu_min} CPU and {memory_min} (raise it, or use sizing: dev)")
    return None
