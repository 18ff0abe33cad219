"""Readers for the files of ``deploy/`` that have no parser on PyPI worth a dependency: the
Dockerfile, ``.dockerignore``, the Caddyfile, compose's ``${VAR}`` interpolation and env files.

Each follows its tool's documented rules as far as ``tests/test_deploy.py`` needs them, and
refuses what it does not understand rather than guessing.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --- Dockerfile ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, ...
    arguments: str  # the rest of the (joined) line


@dataclass
class Stage:
    base: str  # FROM's image, ARGs substituted
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """The ENV of this stage, in the ``KEY=VALUE ...`` form."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.arguments):
                if "=" not in pair:
                    raise ValueError(f"ENV without '=' is not read here: {instruction.arguments}")
                key, value = pair.split("=", 1)
                values[key] = value
        return values


def dockerfile_instructions(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        keyword, _, arguments = joined.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
    if pending:
        raise ValueError("the Dockerfile ends inside a continued line")
    return instructions


def dockerfile_stages(text: str) -> list[Stage]:
    """The build stages; ``${ARG}`` in FROM is replaced by the ARG's default given before it."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in dockerfile_instructions(text):
        if instruction.keyword == "ARG" and not stages:
            arg, _, default = instruction.arguments.partition("=")
            args[arg.strip()] = default.strip()
        elif instruction.keyword == "FROM":
            words = instruction.arguments.split()
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: args[m.group(1)], words[0])
            stage_name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(image, stage_name))
        elif stages:
            stages[-1].instructions.append(instruction)
    return stages


def exec_form(arguments: str) -> list[str]:
    """A JSON-array argument (``CMD ["a", "b"]``); shell form is refused."""
    value = json.loads(arguments)
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ValueError(f"not an exec-form array: {arguments}")
    return value


def healthcheck(instruction: Instruction) -> tuple[dict[str, str], list[str]]:
    """``HEALTHCHECK --opt=v ... CMD [...]``: its options and its command."""
    options_part, separator, command = instruction.arguments.partition("CMD ")
    if not separator:
        raise ValueError(f"HEALTHCHECK without CMD: {instruction.arguments}")
    options = dict(word.removeprefix("--").split("=", 1) for word in options_part.split())
    return options, exec_form(command)


# --- .dockerignore ------------------------------------------------------------------------------


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts))


def dockerignore_excludes(text: str, path: str) -> bool:
    """Whether ``path`` (relative to the build context) stays out of the context.

    Docker's rules: patterns in order, the last one that matches decides, ``!`` re-includes,
    and a pattern that matches a directory matches everything below it.
    """
    rules: list[tuple[bool, re.Pattern[str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        rules.append((include, _ignore_regex(pattern)))
    segments = path.strip("/").split("/")
    prefixes = ["/".join(segments[: n + 1]) for n in range(len(segments))]
    excluded = False
    for include, regex in rules:
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            excluded = not include
    return excluded


# --- Caddyfile ----------------------------------------------------------------------------------


@dataclass
class Directive:
    tokens: list[str]
    block: list[Directive] = field(default_factory=list)

    def find(self, name: str) -> list[Directive]:
        return [d for d in self.block if d.tokens and d.tokens[0] == name]


def caddyfile(text: str) -> Directive:
    """The Caddyfile as nested directives (one per line; ``{`` opens a block, ``}`` closes it)."""
    root = Directive([])
    stack = [root]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line == "}":
            stack.pop()
            continue
        opens = line.endswith("{")
        directive = Directive(shlex.split(line.removesuffix("{")))
        stack[-1].block.append(directive)
        if opens:
            stack.append(directive)
    if len(stack) != 1:
        raise ValueError("unbalanced braces in the Caddyfile")
    return root


# --- compose interpolation and env files --------------------------------------------------------

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(LookupError):
    """A ``${VAR:?message}`` whose variable is unset or empty: compose stops with the message."""


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}`` and ``${VAR:?error}``,
    applied to every string in a loaded compose file."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        current = env.get(name)
        unset_or_empty = not current
        if op in (":-", "-") and (unset_or_empty if op == ":-" else current is None):
            return arg
        if op in (":?", "?") and (unset_or_empty if op == ":?" else current is None):
            raise MissingVariable(f"{name}: {arg}")
        return current or ""

    if "$" in _VARIABLE.sub("", value).replace("$$", ""):
        raise ValueError(f"a '$' that is not read here: {value}")
    return _VARIABLE.sub(substitute, value).replace("$$", "$")


def variables_used(value: Any) -> set[str]:
    """The names of every ``${VAR...}`` in a loaded compose file."""
    if isinstance(value, dict):
        return set().union(*(variables_used(v) for v in value.values()), set())
    if isinstance(value, list):
        return set().union(*(variables_used(v) for v in value), set())
    if isinstance(value, str):
        return {m.group("name") for m in _VARIABLE.finditer(value)}
    return set()


def env_file(path: Path) -> tuple[dict[str, str], set[str]]:
    """``KEY=VALUE`` lines, and the names only mentioned in comments (``# KEY=...``)."""
    values: dict[str, str] = {}
    mentioned: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        commented = re.fullmatch(r"#\s*([A-Z_][A-Z0-9_]*)=.*", line)
        if commented:
            mentioned.add(commented.group(1))
        elif line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values, mentioned
