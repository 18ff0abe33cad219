"""YAML to plain Python with the source line of every key and item.

PyYAML's YAML 1.1 resolvers turn ``on:`` into ``True`` and ``10:00`` into ``600``; a program file
means neither, so scalars are resolved here with plain, predictable rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


@dataclass
class SourceMap:
    """Line numbers (1-based) of every path in the document."""

    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[tuple[Path, int]] = field(default_factory=list)

    def line_of(self, path: Path) -> int:
        """The line of ``path`` or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)


class YamlSyntaxError(ValueError):
    """The text is not YAML at all; carries the line of the problem."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load(text: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into dicts, lists and scalars plus its ``SourceMap``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(line, f"not valid YAML: {exc.problem or exc}") from None
    source = SourceMap()
    if node is None:
        return None, source
    source.lines[()] = node.start_mark.line + 1
    return _convert(node, (), source), source


def _convert(node: yaml.Node, path: Path, source: SourceMap) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in result:
                source.duplicates.append((child, line))
            source.lines[child] = line
            result[key] = _convert(value_node, child, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            source.lines[child] = item.start_mark.line + 1
            items.append(_convert(item, child, source))
        return items
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    value = str(node.value)
    if not isinstance(node, yaml.ScalarNode) or node.style in ("'", '"', "|", ">"):
        return value
    lowered = value.lower()
    if lowered in ("", "~", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value
