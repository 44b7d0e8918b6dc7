"""The committed render of the example stacks (rendered/): written, normalised, and compared.

Every change to the manifests shows up as a diff of rendered/ in review (as kube-prometheus keeps its
generated manifests). The render is `python -m fedctl render` without secrets (Secret values and secret
outputs are "[secret]"), with the values that change from render to render normalised: PEM blocks
(certificates, CSRs and public keys of generated keys) and the config checksums of pod templates (keyed
by a generated secret). Regenerate with `make rendered` (`python -m fedctl.snapshot`).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from fedctl.render import PROJECT_ROOT, Rendered, RenderError, render_stacks, write

SNAPSHOT_DIR = PROJECT_ROOT / "rendered"
REGENERATE = "make rendered (python -m fedctl.snapshot)"
CHECKSUM_ANNOTATION = "fate-federation/config-checksum"
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\n.*?-----END \1-----\n?", re.S)


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        return _PEM.sub(lambda match: f"<generated {match.group(1).lower()}>", value)
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v) for v in value]
    return value


def normalise(document: Any) -> Any:
    """A manifest or the outputs with the values that differ between two renders of the same program
    replaced: PEM blocks, and the config checksums of pod templates (keyed by a generated secret, or over
    files holding generated passwords; the files themselves are in the ConfigMaps, so a change still shows)."""
    document = _strings(document)
    template = ((document.get("spec") or {}).get("template") or {}) if isinstance(document, dict) else {}
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    if CHECKSUM_ANNOTATION in annotations:
        annotations[CHECKSUM_ANNOTATION] = "<checksum keyed by a generated secret>"
    return document


def write_snapshot(rendered: Iterable[Rendered], out_dir: Path) -> list[Path]:
    """Write the normalised render of each stack to out_dir/<stack>/ (replacing what was there); the files."""
    out_dir = Path(out_dir)
    written = []
    with tempfile.TemporaryDirectory() as raw:
        for item in rendered:
            stack_dir = write(item, Path(raw), show_secrets=False)
            target = out_dir / item.stack
            if target.exists():
                shutil.rmtree(target)
            for source in sorted(p for p in stack_dir.rglob("*") if p.is_file()):
                destination = target / source.relative_to(stack_dir)
                destination.parent.mkdir(parents=True, exist_ok=True)
                if source.suffix == ".json":  # as fedctl.render.write dumps them
                    text = json.dumps(normalise(json.loads(source.read_text())), indent=2, sort_keys=True) + "\n"
                else:
                    text = yaml.safe_dump(normalise(yaml.safe_load(source.read_text())), sort_keys=False)
                destination.write_text(text)
                written.append(destination)
    return written


def differences(expected_dir: Path, actual_dir: Path, *, limit: int = 200) -> list[str]:
    """Unified diff lines between two snapshots (expected: the committed one), at most `limit`."""
    expected = {p.relative_to(expected_dir): p for p in Path(expected_dir).rglob("*") if p.is_file()}
    actual = {p.relative_to(actual_dir): p for p in Path(actual_dir).rglob("*") if p.is_file()}
    lines: list[str] = []
    for name in sorted(set(expected) | set(actual)):
        before = expected[name].read_text().splitlines(keepends=True) if name in expected else []
        after = actual[name].read_text().splitlines(keepends=True) if name in actual else []
        if before != after:
            lines += difflib.unified_diff(before, after, f"committed/{name}", f"rendered now/{name}")
    return lines[:limit] + ([f"... {len(lines) - limit} more diff lines\n"] if len(lines) > limit else [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fedctl.snapshot", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SNAPSHOT_DIR, help="where to write (default: rendered/)")
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    try:
        rendered = render_stacks(PROJECT_ROOT)
    except RenderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not args.check:
        stacks = {item.stack for item in rendered}
        for old in (p for p in args.out.glob("*") if p.is_dir() and p.name not in stacks):
            shutil.rmtree(old)  # a stack file that was removed
        files = write_snapshot(rendered, args.out)
        print(f"wrote {len(files)} files into {args.out}/ (secrets redacted, generated values normalised)")
        return 0
    with tempfile.TemporaryDirectory() as fresh:
        write_snapshot(rendered, Path(fresh))
        diff = differences(args.out, Path(fresh))
    if diff:
        sys.stdout.writelines(diff)
        print(f"\nthe render differs from {args.out}/: review the diff, then run {REGENERATE}", file=sys.stderr)
        return 1
    print(f"{args.out}/ matches the render")
    return 0


if __name__ == "__main__":
    sys.exit(main())
