"""The one YAML reader for files users write (DAG files, stack files): YAML as data, nothing more.

PyYAML's safe loader still expands aliases (a 1.3 KB "billion laughs" file becomes hundreds of MB once
walked) and silently keeps the last of two equal keys. Users' files need neither: an alias is refused
(write the value out) and a repeated key is refused with both line numbers, so a typo cannot win quietly.
"""

from __future__ import annotations

from typing import Any

import yaml


class UserYamlError(ValueError):
    """Text that is not acceptable YAML for a user file. The message completes "<the file> is ...": it
    says where and how to fix it."""


class _UserLoader(yaml.SafeLoader):
    """SafeLoader without aliases and without repeated keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise UserYamlError(f"not accepted as written: line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not accepted: "
                                "write the value out instead of referring to an anchor")
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: SafeLoader's own error says so
                break
            if first is not None:
                raise UserYamlError(f"not accepted as written: line {line}: the key {key!r} appears twice (first on line {first}): "
                                    "keep one of them")
            seen[key] = line
        return super().construct_mapping(node, deep)


def load_user_yaml(text: str) -> Any:
    """The data in `text` (YAML or JSON); UserYamlError for aliases, repeated keys, bad syntax or nesting
    too deep to read (PyYAML composes recursively)."""
    try:
        return yaml.load(text, Loader=_UserLoader)  # noqa: S506 (a SafeLoader subclass)
    except UserYamlError:
        raise
    except yaml.YAMLError as error:
        raise UserYamlError(f"not valid YAML/JSON: {error}") from None
    except RecursionError:
        raise UserYamlError("not accepted as written: nested too deeply to read; flatten the structure") from None
