"""The import direction of the program's layers (docs/architecture.md): each imports only those below it.

facts < specs < components.fateconf < components < stacks < __main__; fedctl (tools), tests and benchmarks
stand beside and may import the program, never the other way round. Read from the source with `ast`
(imports inside functions count too), so the check needs no import of the program and no dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: tuple[tuple[str, ...], ...] = (
    ("facts",),
    ("specs",),
    ("components.fateconf",),
    ("components",),
    ("stacks",),
    ("__main__",),
    ("fedctl",),
)
"""Bottom first. A module's layer is the longest prefix that names it (components.fateconf before components)."""

OURS = {"facts", "specs", "components", "stacks", "fedctl", "__main__", "tests", "benchmarks"}

NO_PULUMI = ("facts", "specs.values", "specs.common", "specs.party", "specs.exchange", "specs.local",
             "specs.jobs", "specs.sizing", "specs.federation", "components.fateconf")
"""Facts, the user's models and the file formats hold no Pulumi: specs.errors (ConfigError is a
pulumi.RunError) and specs.loading (reads pulumi.Config) are the only specs modules that do."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def program_modules() -> dict[str, Path]:
    files = [ROOT / "__main__.py"]
    for package in ("facts", "specs", "components", "stacks", "fedctl"):
        files += sorted((ROOT / package).rglob("*.py"))
    return {module_name(path): path for path in files}


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from components import kube` imports components.kube
                yield node.lineno, f"{base}.{alias.name}"


def layer(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    return None if best is None else best[0]


def upward_imports() -> list[str]:
    problems = []
    for module, path in program_modules().items():
        own = layer(module)
        assert own is not None, f"{module} is in no layer: add it to LAYERS"
        reported: set[int] = set()
        for line, imported in imports(path):
            if line in reported:
                continue
            if imported.split(".")[0] not in OURS:
                continue
            if imported.split(".")[0] in ("tests", "benchmarks"):
                problems.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {imported} (tests and "
                                "benchmarks stand beside the program)")
                reported.add(line)
                continue
            target = layer(imported)
            if target is not None and target > own:
                problems.append(f"{path.relative_to(ROOT)}:{line}: {module} ({LAYERS[own][0]}) imports {imported} "
                                f"({LAYERS[target][0]}), a layer above it")
                reported.add(line)
    return problems


def test_no_module_imports_a_layer_above_it() -> None:
    problems = upward_imports()
    assert not problems, "imports against the layers (docs/architecture.md):\n" + "\n".join(problems)


def test_no_cycle_between_packages() -> None:
    """Package-level graph (facts, specs, components.fateconf, components, stacks, fedctl) has no cycle."""
    graph: dict[str, set[str]] = {}
    for module, path in program_modules().items():
        own = layer(module)
        assert own is not None
        for _, imported in imports(path):
            target = layer(imported) if imported.split(".")[0] in OURS else None
            if target is not None and target != own:
                graph.setdefault(LAYERS[own][0], set()).add(LAYERS[target][0])
    seen: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if seen.get(node) == 1:
            raise AssertionError("cycle between packages: " + " -> ".join([*trail, node]))
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, [*trail, node])
        seen[node] = 2

    for start in sorted(graph):
        visit(start, [])


@pytest.mark.parametrize("prefix", NO_PULUMI)
def test_lower_layers_hold_no_pulumi(prefix: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {imported}"
        for module, path in program_modules().items() if module == prefix or module.startswith(prefix + ".")
        for line, imported in imports(path) if imported.split(".")[0] in ("pulumi", "pulumi_kubernetes",
                                                                          "pulumi_random", "pulumi_tls")
    ]
    assert not offenders, f"{prefix} must stay free of Pulumi:\n" + "\n".join(offenders)


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The rule itself: a facts module importing a component is reported with file, line and both layers."""
    assert layer("components.fateconf.ats") == 2 and layer("components.kube") == 3 and layer("facts.ports") == 0
    source = tmp_path / "probe.py"
    source.write_text("import os\nfrom components import kube\n")
    found = [imported for _, imported in imports(source) if layer(imported) is not None]
    assert "components.kube" in found and layer("components.kube") > layer("facts.names")  # type: ignore[operator]
