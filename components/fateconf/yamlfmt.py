"""One YAML style for every file we write: block style, keys in the order given, no aliases."""

from __future__ import annotations

from typing import Any

import yaml


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(document: Any) -> str:
    return yaml.dump(document, Dumper=_NoAliases, sort_keys=False, default_flow_style=False, width=1000)
