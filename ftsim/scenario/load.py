"""Loading a scenario: TOML text or file -> `Scenario`, with --set overrides applied first."""

from __future__ import annotations

import copy
import hashlib
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

from ..errors import ScenarioError, ScenarioIssue, one_line
from ..format import show_value as _show
from .checks import _BARE_KEY
from .model import Scenario
from .parser import _Parser

__all__ = ["load_scenario", "parse_scenario", "parse_override", "scenario_from"]

_BARE_WORD = re.compile(r"[A-Za-z0-9_.\-]+")


def _apply_overrides(raw: dict[str, object], overrides: Sequence[tuple[str, object]]
                     ) -> list[ScenarioIssue]:
    """Set each dotted key in the raw TOML dict, creating intermediate tables."""
    issues: list[ScenarioIssue] = []
    for key_path, value in overrides:
        parts = key_path.split(".")
        if not all(_BARE_KEY.fullmatch(p) for p in parts):
            issues.append(ScenarioIssue("--set", f"invalid key path {key_path!r}"))
            continue
        node = raw
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                issues.append(ScenarioIssue(
                    "--set", f"cannot set {key_path} = {_show(value)}: {where} is "
                             f"{_show(child)}, not a table"))
                break
            node = child
        else:
            node[parts[-1]] = copy.deepcopy(value)
    return issues


_MAX_NESTING = 256


def _nesting_depth(value: object) -> int:
    """Deepest level of arrays and tables in a parsed TOML value (iterative: no recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return deepest


def _parse(text: str, *, file: Path | None, base_dir: Path | None,
           overrides: Sequence[tuple[str, object]], sha256: str,
           allow_files_outside: bool = False) -> Scenario:
    where = str(file) if file else ""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError.single(where, f"TOML syntax error: {exc}") from exc
    except RecursionError as exc:
        raise ScenarioError.single(where, "TOML syntax error: arrays or tables nested too "
                                          "deeply to read") from exc
    except ValueError as exc:  # e.g. an integer literal of more than 4300 digits
        raise ScenarioError.single(where, f"TOML value error: {exc}") from exc
    if _nesting_depth(raw) > _MAX_NESTING:
        # Whether tomllib hits the recursion limit first depends on the interpreter's
        # limit (libraries raise it). The schema nests 5 levels; a value 200 deep still gets
        # its key-level message.
        raise ScenarioError.single(where, "TOML syntax error: arrays or tables nested too "
                                          f"deeply to read (more than {_MAX_NESTING} levels)")
    issues = _apply_overrides(raw, overrides)
    if base_dir is None and file is not None:
        base_dir = file.parent
    parser = _Parser(base_dir, allow_files_outside)
    parser.issues.extend(issues)
    # the default name comes from the file name, which may hold any character but "/"
    name = one_line(file.stem, 120) if file is not None else "scenario"
    scenario = parser.scenario(raw, name=name, file=file, sha256=sha256)
    if scenario is None:
        raise ScenarioError(parser.issues)
    return scenario


def parse_scenario(text: str, *, file: Path | None = None, base_dir: Path | None = None,
                   overrides: Sequence[tuple[str, object]] = (),
                   allow_files_outside: bool = False) -> Scenario:
    """Parse and validate a scenario given as TOML text.

    Parameters
    ----------
    text : str
        The scenario file's contents.
    file : Path, optional
        Where the text came from: names TOML syntax errors, gives the default scenario
        name (its stem) and the default ``base_dir`` (its folder).
    base_dir : Path, optional
        Folder that relative paths (empirical ``file = ...``) are resolved against.
    overrides : sequence of (key path, value)
        ``--set`` assignments (see `parse_override`), applied to the raw TOML before
        validation, so they are checked like written keys.
    allow_files_outside : bool
        Let empirical ``file = ...`` paths resolve outside ``base_dir``'s folder tree
        (the current directory when neither ``base_dir`` nor ``file`` is given); off by
        default so a shared scenario cannot read arbitrary files (``--allow-files-outside``).

    Returns
    -------
    Scenario
        With every default applied. ``sha256`` is "" (see `load_scenario`).

    Raises
    ------
    ScenarioError
        With every issue found.
    """
    file = Path(file) if file is not None else None
    return _parse(text, file=file, base_dir=base_dir, overrides=overrides, sha256="",
                  allow_files_outside=allow_files_outside)


def load_scenario(path: str | Path, overrides: Sequence[tuple[str, object]] = (), *,
                  allow_files_outside: bool = False) -> Scenario:
    """Read, hash and parse a scenario file.

    The name defaults to the file's stem, relative paths resolve against its folder, and
    ``sha256`` is the hash of the file's bytes. A missing or unreadable file raises
    `ScenarioError` naming the path. Empirical files must resolve inside the scenario's
    folder tree unless ``allow_files_outside`` (see `parse_scenario`).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScenarioError.single(str(path), f"cannot read scenario file {str(path)!r}: "
                                              f"{reason}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError.single(str(path), f"scenario file is not UTF-8 text: {exc}") from exc
    return _parse(text, file=path, base_dir=path.parent, overrides=overrides,
                  sha256=hashlib.sha256(data).hexdigest(),
                  allow_files_outside=allow_files_outside)


def parse_override(assignment: str) -> tuple[str, object]:
    """Parse a ``--set KEY.PATH=VALUE`` assignment.

    The value is a TOML literal (``2``, ``0.5``, ``true``, ``"text"``, ``{p5 = 1, p95 = 2}``);
    a bare word that is not one (``Foo``, ``lhs``) is taken as a string.

    Raises
    ------
    ScenarioError
        With key path "--set" when the assignment is malformed.
    """
    key, sep, value_text = assignment.partition("=")
    key, value_text = key.strip(), value_text.strip()
    if not sep or not key or not all(_BARE_KEY.fullmatch(p) for p in key.split(".")):
        raise ScenarioError.single("--set", f"expected KEY.PATH=VALUE, got {assignment!r}")
    if not value_text:
        raise ScenarioError.single("--set", f"missing value in {assignment!r}")
    try:
        parsed = tomllib.loads(f"v = {value_text}")
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        parsed = None
    if parsed is not None and list(parsed) == ["v"]:
        return key, parsed["v"]
    if _BARE_WORD.fullmatch(value_text):
        return key, value_text
    raise ScenarioError.single("--set", f"cannot read the value of {key} in {assignment!r}: "
                                        "not a TOML value (quote strings: key='\"some text\"')")


def scenario_from(source: Scenario | str | Path, overrides: Sequence[tuple[str, object]] = (),
                  *, allow_files_outside: bool = False) -> Scenario:
    """What the studies accept as a scenario: a loaded `Scenario` (taken as it is), a file
    (a Path, or a str without a newline) or TOML text (a str with one)."""
    if isinstance(source, Scenario):
        if overrides:
            raise ValueError("overrides apply to a scenario file or text, not a loaded Scenario")
        return source
    if isinstance(source, Path) or "\n" not in source:
        return load_scenario(source, overrides, allow_files_outside=allow_files_outside)
    return parse_scenario(source, overrides=overrides, allow_files_outside=allow_files_outside)
