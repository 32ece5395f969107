"""Scenario files: load, merge, validate, freeze.

Precedence, lowest to highest: schema defaults < the ``extends`` chain (ancestors first) < the file <
API / CLI overrides.  Mappings merge deeply, lists and leaves replace, ``null`` is an error.  A key with
dots (``energy.grid_emission_factor: 0.8``) is a dotted-path override and expands into nested keys.

Every problem is collected and reported at once, one line each::

    <file>:<line>: <dotted.path>: <what is wrong>; got <value>, expected <rule>
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from simcore.errors import Issue, ScenarioError
from simcore.scenario import dotted as dotted_path
from simcore.scenario.schema import BY_AGGREGATE, END, ONE_PATH, START, ScenarioSpec, TimePath, parse_period

Marks = dict[tuple, tuple[str, int]]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the spec, the raw merged mapping and the layers it came from."""

    name: str
    spec: ScenarioSpec
    layers: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False)
    marks: Mapping[tuple, tuple[str, int]] = field(repr=False, default_factory=dict)

    @property
    def seed(self) -> int | None:
        return self.spec.seed

    @property
    def description(self) -> str:
        return self.spec.description


# --------------------------------------------------------------------------- YAML with line marks


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


#: limits on what a scenario or sweep file may be, checked before it is read into Python objects
MAX_FILE_BYTES = 1_000_000  # the shipped files are a few KB
MAX_DEPTH = 32  # nested mappings and lists; the schema needs at most 6
MAX_VALUES = 200_000  # scalars and collections once aliases are expanded (a "billion laughs" is refused)
#: the only explicit tags accepted (the YAML core schema); any other tag (``!percent``, ``!!binary``,
#: ``!!python/...``, ``!!set``) is an issue, never constructed
CORE_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq"))
_MERGE = "tag:yaml.org,2002:merge"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def _line_col(text, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]`` (str or bytes)."""
    newline = "\n" if isinstance(text, str) else b"\n"
    line = text.count(newline, 0, index) + 1
    return line, index - (text.rfind(newline, 0, index) + 1) + 1


def _decode(raw: bytes, name: str, issues: list[Issue]) -> str | None:
    """The file's text, or None with an issue at the line and column of the first bad byte."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and b"\x00" in raw[:2]):
        issues.append(
            Issue(name, 1, "", "the file is UTF-16 (or another wide encoding), not UTF-8", raw[:4], "a UTF-8 text file")
        )
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_col(raw, exc.start)
        issues.append(
            Issue(
                name,
                line,
                "",
                "bytes that are not UTF-8 (a Latin-1 or GBK file?)",
                raw[exc.start : exc.start + 4],
                "a UTF-8 text file (re-save it as UTF-8)",
                column,
            )
        )
        return None
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark is harmless
    bad = _CONTROL.search(text)
    if bad:
        line, column = _line_col(text, bad.start())
        issues.append(
            Issue(
                name,
                line,
                "",
                f"control character U+{ord(bad.group()):04X} in the text",
                bad.group(),
                "printable text (tabs and newlines only)",
                column,
            )
        )
        return None
    return text


def _scan(text: str, name: str, issues: list[Issue]) -> bool:
    """Check nesting depth, expanded size and tags from the event stream (iterative, linear in the text,
    no object built), so that a deep, alias-bombed or tagged file is refused before construction.

    An alias counts as the size of what it names, computed once per anchor; a malformed file passes
    here and is reported, with its line, by the composer.
    """
    from yaml import events as ev

    depth, total, open_sizes, anchors = 0, 0, [], {}

    def fail(event, problem: str, got, expected: str) -> bool:
        issues.append(Issue(name, event.start_mark.line + 1, "", problem, got, expected))
        return False

    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (ev.ScalarEvent, ev.CollectionStartEvent)):
                tag = getattr(event, "tag", None)
                if (
                    tag is not None
                    and tag not in CORE_TAGS
                    and not (isinstance(event, ev.ScalarEvent) and tag == "!" and event.implicit[1])
                ):
                    return fail(
                        event, "a YAML tag simcore does not read", tag, "plain values (no tags such as !name or !!type)"
                    )
            if isinstance(event, ev.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return fail(
                        event, f"nested more than {MAX_DEPTH} levels deep", depth, f"at most {MAX_DEPTH} levels"
                    )
                open_sizes.append([event.anchor, 1])
                size = 1
            elif isinstance(event, ev.CollectionEndEvent):
                depth -= 1
                anchor, size = open_sizes.pop()
                if anchor is not None:
                    anchors[anchor] = size
                if open_sizes:
                    open_sizes[-1][1] += size
                continue
            elif isinstance(event, ev.ScalarEvent):
                size = 1
                if event.anchor is not None:
                    anchors[event.anchor] = 1
                if open_sizes:
                    open_sizes[-1][1] += 1
            elif isinstance(event, ev.AliasEvent):
                size = anchors.get(event.anchor, 1)
                if open_sizes:
                    open_sizes[-1][1] += size
            else:
                continue
            total += size
            if total > MAX_VALUES:
                return fail(
                    event,
                    f"the file expands to more than {MAX_VALUES:,} values (YAML aliases repeating a block?)",
                    total,
                    f"at most {MAX_VALUES:,} values once aliases are expanded",
                )
    except yaml.YAMLError:
        return True
    return True


def read_yaml(path: Path, issues: list[Issue], expand_dots: bool = True) -> tuple[dict, Marks]:
    """Read a scenario or sweep file into plain Python values and the (file, line) of every key.

    Refused with an issue, before anything is constructed: files over :data:`MAX_FILE_BYTES`, bytes that
    are not UTF-8 or control characters (with line and column), nesting deeper than :data:`MAX_DEPTH`,
    more than :data:`MAX_VALUES` values once aliases are expanded, tags outside :data:`CORE_TAGS`; then,
    while reading: merge keys (``<<``), keys that are not plain scalars, keys given twice (also after type
    resolution: ``2025`` and ``'2025'``) and values that cannot be read.
    """
    name = _display(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            issues.append(Issue(name, 0, "", "file too large", f"{size:,} bytes", f"at most {MAX_FILE_BYTES:,} bytes"))
            return {}, {}
        raw = path.read_bytes()
    except FileNotFoundError:
        issues.append(Issue(name, 0, "", "file not found", str(path), "an existing YAML file"))
        return {}, {}
    except OSError as exc:
        issues.append(
            Issue(
                name,
                0,
                "",
                f"cannot read the file ({exc.strerror or exc.__class__.__name__})",
                str(path),
                "a readable file",
            )
        )
        return {}, {}
    text = _decode(raw, name, issues)
    if text is None or not _scan(text, name, issues):
        return {}, {}
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context_mark", None)
        if context is not None and context.line + 1 != line:
            problem += f"; {getattr(exc, 'context', None) or 'in a block'} that starts at line {context.line + 1}"
        issues.append(
            Issue(
                name,
                line,
                "",
                f"malformed YAML ({problem})",
                text.splitlines()[line - 1].strip() if 0 < line <= len(text.splitlines()) else "",
                "valid YAML",
            )
        )
        return {}, {}
    if node is None:
        issues.append(Issue(name, 1, "", "empty file", None, "a mapping with at least `name`"))
        return {}, {}
    marks: Marks = {}
    loader = _Loader("")
    value = _to_python(node, (), name, marks, issues, loader, expand_dots)
    if not isinstance(value, dict):
        issues.append(
            Issue(name, node.start_mark.line + 1, "", "the file is not a mapping", value, "a mapping of scenario keys")
        )
        return {}, {}
    return value, marks


_BAD = object()  # a value that could not be read (its issue is already recorded)


def _construct(node, loader, name: str, path: tuple, issues: list[Issue]) -> tuple[bool, Any]:
    """(True, value) of a scalar node, or (False, None) with an issue when it cannot be read."""
    try:
        return True, loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        problem = getattr(exc, "problem", None) or str(exc) or exc.__class__.__name__
        issues.append(
            Issue(
                name,
                node.start_mark.line + 1,
                _dotted(path),
                f"cannot read this value ({problem})",
                node.value,
                "a plain value",
            )
        )
        return False, None


def _same_key(key) -> Any:
    """What a key means once types are resolved: ``2025`` and ``'2025'`` name the same year."""
    if isinstance(key, bool):
        return key
    if isinstance(key, (int, float, str)):
        return str(key).strip()
    return key


def _to_python(
    node, path: tuple, name: str, marks: Marks, issues: list[Issue], loader, expand_dots: bool = True
) -> Any:
    marks.setdefault(path, (name, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        meanings: dict[int, dict] = {}  # per mapping reached (dotted keys reach nested ones): meaning -> key
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE:
                issues.append(
                    Issue(
                        name,
                        line,
                        _dotted(path),
                        "YAML merge keys (<<) are not supported",
                        "<<",
                        "the keys written out, or `extends:` a parent scenario",
                    )
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                issues.append(
                    Issue(
                        name,
                        line,
                        _dotted(path),
                        "a key that is a list or mapping",
                        "[...]" if isinstance(key_node, yaml.SequenceNode) else "{...}",
                        "a plain name or year as the key",
                    )
                )
                continue
            ok, key = _construct(key_node, loader, name, path, issues)
            if not ok:
                continue
            dotted = expand_dots and isinstance(key, str) and "." in key
            parts = tuple(key.split(".")) if dotted else (key,)
            target = out
            for depth, part in enumerate(parts[:-1]):
                sub_path = path + parts[: depth + 1]
                marks.setdefault(sub_path, (name, line))
                existing = target.get(part)
                if existing is None:
                    existing = target[part] = Dotted()
                elif not isinstance(existing, dict):
                    issues.append(
                        Issue(name, line, _dotted(sub_path), "dotted key conflicts with a value", existing, "a mapping")
                    )
                    break
                target = existing
            else:
                last = parts[-1]
                full = path + parts
                seen = meanings.setdefault(id(target), {_same_key(k): k for k in target})
                if last in target or _same_key(last) in seen:
                    other = seen.get(_same_key(last), last)
                    twice = "key given twice in this file" + (
                        f" ({other!r} and {last!r} are the same key)"
                        if other != last or type(other) is not type(last)
                        else ""
                    )
                    issues.append(Issue(name, line, _dotted(full), twice, last, "each key once per mapping"))
                    continue
                seen[_same_key(last)] = last
                marks[full] = (name, line)
                value = _to_python(value_node, full, name, marks, issues, loader, expand_dots)
                marks[full] = (name, line)
                if value is _BAD:
                    continue
                if value is None:
                    issues.append(
                        Issue(
                            name,
                            line,
                            _dotted(full),
                            "null is not allowed",
                            None,
                            "a value (delete the key to use the default)",
                        )
                    )
                    continue
                target[last] = value
        return out
    if isinstance(node, yaml.SequenceNode):
        items = [
            _to_python(child, path + (i,), name, marks, issues, loader, expand_dots)
            for i, child in enumerate(node.value)
        ]
        return [item for item in items if item is not _BAD]
    ok, value = _construct(node, loader, name, path, issues)
    return value if ok else _BAD


_dotted = dotted_path.join


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- layers and merge


def _chain(path: Path, issues: list[Issue]) -> list[tuple[Path, dict, Marks]]:
    """The file and its ancestors, ancestors first."""
    chain: list[tuple[Path, dict, Marks]] = []
    seen: list[Path] = []
    current: Path | None = path.resolve()
    origin: tuple[str, int] | None = None
    while current is not None:
        if current in seen:
            cycle = " -> ".join(_display(p) for p in seen + [current])
            name, line = origin
            issues.append(Issue(name, line, "extends", "cyclic extends", cycle, "a chain without cycles"))
            break
        seen.append(current)
        if not current.is_file():
            if origin is None:
                issues.append(Issue(_display(current), 0, "", "file not found", str(current), "an existing YAML file"))
            else:
                name, line = origin
                issues.append(
                    Issue(
                        name,
                        line,
                        "extends",
                        "parent scenario not found",
                        _display(current),
                        "a path to an existing YAML file, relative to this file",
                    )
                )
            break
        data, marks = read_yaml(current, issues)
        chain.append((current, data, marks))
        parent = data.get("extends")
        if parent is None:
            break
        if not isinstance(parent, str):
            name, line = marks.get(("extends",), (_display(current), 0))
            issues.append(Issue(name, line, "extends", "wrong type", parent, "a file path string"))
            break
        origin = marks.get(("extends",), (_display(current), 0))
        if Path(parent).suffix.lower() not in (".yaml", ".yml"):
            name, line = origin
            issues.append(
                Issue(name, line, "extends", "the parent is not a YAML file", parent, "a .yaml or .yml scenario file")
            )
            break
        current = (current.parent / parent).resolve()
    return list(reversed(chain))


PATH_FORMS = frozenset(("constant", "values", "growth", "cumulative"))


class Dotted(dict):
    """A mapping spelled by a dotted key (``a.b.c: v``): a way to one value, not a value of its own."""


def deep_merge(base: dict, override: dict) -> dict:
    """Mappings merge recursively; anything else in ``override`` replaces ``base``.

    A time path given whole is one value: when both sides are time paths, the forms the override does not
    name are dropped (``path: {growth: 0.05}`` replaces ``{cumulative: ..., growth: ...}``), except that a
    ``growth`` accompanying a new ``cumulative`` is kept; a form both name merges (``values`` point by
    point).  A dotted key into a path (``path.growth: 0.05``) changes that form only.  A time path given
    whole against a mapping of time paths (or the other way round, as ``prices.value_added`` allows)
    replaces it.
    """
    out = dict(base)
    for key, value in override.items():
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and not isinstance(value, Dotted):
            if _is_path(value) != _is_path(old):
                # one path against a mapping of paths (``prices.value_added``): the form changes, so the
                # override replaces the value whole instead of mixing the two
                out[key] = value
                continue
        if isinstance(value, dict) and isinstance(old, dict):
            if not isinstance(value, Dotted) and _is_path(value) and _is_path(old):
                old = {
                    form: spec
                    for form, spec in old.items()
                    if form in value or (form == "growth" and "cumulative" in value)
                }
            out[key] = deep_merge(old, value)
        else:
            out[key] = value
    return out


def _is_path(mapping: dict) -> bool:
    return bool(mapping) and all(isinstance(k, str) and k in PATH_FORMS for k in mapping)


def _apply_overrides(data: dict, marks: Marks, overrides: Mapping[str, Any] | None, issues: list[Issue]) -> dict:
    if not overrides:
        return data
    for dotted, value in overrides.items():
        parts = dotted_path.split(dotted)
        if value is None:
            issues.append(Issue("<override>", 0, dotted, "null is not allowed", None, "a value"))
            continue
        nested: Any = value
        for part in reversed(parts):
            nested = Dotted({part: nested})
        data = deep_merge(data, nested)
        for depth in range(1, len(parts) + 1):
            marks[parts[:depth]] = ("<override>", 0)
    return data


_key = dotted_path.key


def parse_override(text: str) -> tuple[str, Any]:
    """``"energy.grid_emission_factor=0.8"`` -> ("energy.grid_emission_factor", 0.8)."""
    if "=" not in text:
        raise ScenarioError([Issue("<override>", 0, text, "override without '='", text, "KEY.PATH=VALUE")])
    key, value = text.split("=", 1)
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        parsed = value
    return key.strip(), parsed


# --------------------------------------------------------------------------- validation


def _lookup(data: Any, loc: tuple) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, dict) and str(part) in data:
            data = data[str(part)]
        else:
            return None
    return data


def location_of(marks: Marks, loc: tuple, fallback: str) -> tuple[str, int]:
    for depth in range(len(loc), -1, -1):
        key = tuple(loc[:depth])
        if key in marks:
            return marks[key]
        alt = tuple(str(p) if isinstance(p, int) else p for p in key)
        if alt in marks:
            return marks[alt]
    return fallback, 0


def _unwrap(annotation: Any) -> Any:
    """The pydantic model (or dict value type) inside Annotated / Optional / unions."""
    import typing

    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in typing.get_args(annotation):
            found = _unwrap(arg)
            if hasattr(found, "model_fields") or typing.get_origin(found) is dict:
                return found
        return None
    return annotation


def _model_at(loc: tuple, root: Any = None) -> Any:
    """The model class expected at ``loc`` of a ``root`` file (default: a scenario; None when not a model)."""
    import typing

    current: Any = root or ScenarioSpec
    for part in loc:
        if typing.get_origin(current) is dict:
            current = _unwrap(typing.get_args(current)[1])
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return None
        current = _unwrap(fields[part].annotation)
    return current


def _allowed_fields(loc: tuple, root: Any = None) -> list[str]:
    model = _model_at(loc[:-1], root)
    return [name for name in getattr(model, "model_fields", {}) if name != "kind"]


_PATH_KEYS = {"constant", "values", "growth", "cumulative"}


def pydantic_issues(exc: ValidationError, data: dict, marks: Marks, fallback: str, root: Any = None) -> list[Issue]:
    """Pydantic's errors as located issues; ``root`` is the file's model (default: a scenario) so that an
    unknown key is answered with the keys that file allows."""
    issues = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and (p.startswith("function-") or p == "[key]")))
        # errors inside a union of a number and a time path: report once, at the path
        loc = tuple(
            p
            for p in loc
            if p
            not in ("constrained-float", "constrained-int", "float", "int", "dict[str,any]", ONE_PATH, BY_AGGREGATE)
        )
        name, line = location_of(marks, loc, fallback)
        got = loc[-1] if "[key]" in error["loc"] else _lookup(data, loc)
        path = _dotted(loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            allowed = sorted(_PATH_KEYS) if loc[-1] == "kind" else _allowed_fields(loc, root)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f" (did you mean `{_dotted(loc[:-1] + (close[0],))}`?)" if close else ""
            issues.append(
                Issue(
                    name,
                    line,
                    path,
                    f"unknown key{hint}",
                    loc[-1],
                    f"one of: {', '.join(allowed)}" if allowed else "no extra keys",
                )
            )
        elif kind == "missing":
            issues.append(Issue(name, line, path, "required key missing", None, f"`{loc[-1]}` to be set"))
        elif kind in (
            "float_type",
            "int_type",
            "string_type",
            "dict_type",
            "model_type",
            "bool_type",
            "int_parsing",
            "float_parsing",
            "literal_error",
            "model_attributes_type",
        ):
            expected = {
                "float_type": "a number",
                "int_type": "an integer",
                "string_type": "a string",
                "dict_type": "a mapping",
                "model_type": "a mapping",
                "model_attributes_type": "a mapping",
                "bool_type": "true or false",
                "int_parsing": "a year (an integer such as 2025)"
                if "[key]" in error["loc"]
                else "an integer (1000, not 1e3)",
                "float_parsing": "a number",
            }.get(kind, error["msg"])
            if kind == "literal_error":
                expected = error["msg"].replace("Input should be ", "")
            elif _model_at(loc, root) is TimePath:
                expected = (
                    "a number or a time path ({constant: x}, {values: {year: x}}, {growth: r}, {cumulative: ...})"
                )
            issues.append(
                Issue(name, line, path, "wrong type" if kind != "literal_error" else "unknown option", got, expected)
            )
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            issues.append(Issue(name, line, path, "out of range", got, error["msg"].replace("Input should be ", "")))
        elif kind == "string_too_short":
            issues.append(Issue(name, line, path, "empty string", got, "a non-empty string"))
        else:
            message = error["msg"].removeprefix("Value error, ")
            problem, _, rule = message.partition(";")
            issues.append(Issue(name, line, path, problem.strip(), got, rule.strip() or _rule_for(message)))
    return _dedupe(issues)


def _rule_for(message: str) -> str:
    if message.startswith("mode ") and "outside [" in message:  # a triangular distribution's mode
        return "low <= mode <= high"
    if "outside [0, 1]" in message:
        return "a share between 0 and 1"
    if "outside the projection" in message:
        return f"years within {START + 1}-{END}"
    if "horizon" in message:
        return f"years within {START}-{END}"
    if "rate" in message and "outside" in message:
        return "an annual rate as a fraction between -0.5 and 1.0"
    if "takes a number" in message:
        return "a number, {constant: x} or {values: {year: x}}"
    if "negative" in message:
        return "a value >= 0"
    if "mode is" in message or "mode: target" in message or "targets are given" in message:
        return "mode: target with targets, or mode: emergent without"
    return "a valid value (see docs/scenarios.md)"


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen, out = set(), []
    for issue in issues:
        key = (issue.file, issue.line, issue.path, issue.problem)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out


def _code_issues(data: dict, marks: Marks, fallback: str, regions, sectors) -> list[Issue]:
    """Region and sector codes and share sums, checked on the raw mapping (so they are reported
    together with schema errors)."""
    issues: list[Issue] = []

    def issue(loc: tuple, problem: str, got: Any, expected: str) -> None:
        name, line = location_of(marks, loc, fallback)
        issues.append(Issue(name, line, _dotted(loc), problem, got, expected))

    def mapping(loc: tuple) -> dict:
        value = _lookup(data, loc)
        return value if isinstance(value, dict) else {}

    def check_code(loc: tuple, key: Any, allowed: list[str], what: str, expected: str) -> bool:
        if key in allowed:
            return True
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f" (did you mean `{_dotted(loc[:-1] + (close[0],))}`?)" if close else ""
        issue(loc, f"unknown {what}{hint}", key, expected)
        return False

    all_regions = list(regions.ids)
    leaves = list(regions.leaves)
    codes = list(sectors.ids) + list(sectors.aggregate_ids)
    region_rule = f"a region id: {', '.join(all_regions)}"
    sector_rule = "a sector or aggregate id (simcore/data/sectors.csv, aggregates.csv)"

    for region, spec in mapping(("investment", "regions")).items():
        loc = ("investment", "regions", region)
        if not check_code(loc, region, all_regions, "region", region_rule) or not isinstance(spec, dict):
            continue
        mix = spec.get("mix")
        if not isinstance(mix, dict):
            continue
        keys = [k for k in mix if check_code(loc + ("mix", k), k, codes, "sector or aggregate", sector_rule)]
        numbers = [v for v in mix.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(keys) == len(mix) and len(numbers) == len(mix):
            total = float(sum(numbers))
            if abs(total - 1.0) > 1e-6:
                issue(loc + ("mix",), "shares do not sum to 1", round(total, 6), "investment shares summing to 1")
            if _overlaps(keys, sectors):
                issue(
                    loc + ("mix",),
                    "overlapping sectors or aggregates",
                    keys,
                    "non-overlapping sector or aggregate keys",
                )
            proxies = [
                k
                for k in keys
                if k in sectors.aggregate_ids and sectors.aggregate_kinds[sectors.aggregate_ids.index(k)] == "proxy"
            ]
            if proxies:
                issue(
                    loc + ("mix",), "proxy aggregates cannot take investment", proxies, "sector ids or exact aggregates"
                )
    for region in mapping(("exports", "by_region")):
        check_code(("exports", "by_region", region), region, all_regions, "region", region_rule)
    for block in ("gdp_growth", "shifts"):
        for region in mapping(("nowcast", block)):
            check_code(("nowcast", block, region), region, all_regions, "region", region_rule)
    for region in mapping(("exports", "convergence", "premium")):
        check_code(("exports", "convergence", "premium", region), region, all_regions, "region", region_rule)
    for key in mapping(("exports", "by_sector")):
        check_code(("exports", "by_sector", key), key, codes, "sector or aggregate", sector_rule)
    for region, targets in mapping(("industry_shares", "targets")).items():
        loc = ("industry_shares", "targets", region)
        if check_code(loc, region, all_regions, "region", region_rule) and isinstance(targets, dict):
            for key in targets:
                check_code(loc + (key,), key, codes, "sector or aggregate", sector_rule)
    value_added = _lookup(data, ("prices", "value_added"))
    if isinstance(value_added, dict) and not _is_path(value_added):
        _value_added_issues(value_added, ("prices", "value_added"), issue, check_code, sectors)
    for region in mapping(("population", "regions")):
        check_code(
            ("population", "regions", region),
            region,
            leaves,
            "region",
            f"a leaf region (population is set per leaf): {', '.join(leaves)}",
        )
    for group in ("efficiency", "electrification", "coal_to_gas"):
        for key in mapping(("energy", group)):
            check_code(
                ("energy", group, key),
                key,
                codes + ["households"],
                "sector or aggregate",
                sector_rule + " or households",
            )
    return issues


def _value_added_issues(mapping: dict, loc: tuple, issue, check_code, sectors) -> None:
    """The keys of ``prices.value_added`` by aggregate: sector ids or exact aggregates, covering every
    sector (a proxy aggregate has fractional weights, so it cannot carry a price of its own)."""
    exact = [a for a, kind in zip(sectors.aggregate_ids, sectors.aggregate_kinds) if kind == "exact"]
    allowed = list(sectors.ids) + exact
    rule = f"a sector id or an exact aggregate id ({', '.join(exact)}; simcore/data/aggregates.csv)"
    forms = [k for k in mapping if k in PATH_FORMS]
    if forms:
        issue(
            loc,
            "a time path mixed with a mapping by aggregate",
            sorted(map(str, mapping)),
            "either one index path ({values: {year: x}}) or a mapping of aggregate ids to index paths",
        )
        return
    keys = [k for k in mapping if check_code(loc + (k,), k, allowed, "sector or exact aggregate", rule)]
    if len(keys) == len(mapping):
        covered = np.zeros(len(sectors.ids), bool)
        for key in keys:
            covered |= sectors.weights_of(key) > 0
        missing = [sid for sid, c in zip(sectors.ids, covered) if not c]
        if missing:
            issue(
                loc,
                "the aggregates do not cover every sector",
                missing,
                "keys covering every sector (e.g. primary, secondary and tertiary)",
            )


def _target_issues(spec: ScenarioSpec, marks: Marks, fallback: str, sectors) -> list[Issue]:
    issues = []
    for region, targets in spec.industry_shares.targets.items():
        keys = list(targets)
        if _overlaps(keys, sectors):
            continue
        total = sum(path.evaluate(None) for path in targets.values())
        if float(np.max(total)) > 1.0 + 1e-9:
            name, line = location_of(marks, ("industry_shares", "targets", region), fallback)
            issues.append(
                Issue(
                    name,
                    line,
                    f"industry_shares.targets.{region}",
                    "target shares add up to more than 1",
                    round(float(np.max(total)), 4),
                    "shares of GDP summing to at most 1",
                )
            )
    return issues


def _overlaps(keys: list[str], sectors) -> bool:
    weights = np.array([sectors.weights_of(k) for k in keys])
    return bool((weights.sum(axis=0) > 1 + 1e-9).any())


def all_paths(model, loc: tuple = ()):
    if isinstance(model, TimePath):
        yield loc, model
    elif hasattr(type(model), "model_fields"):
        for name in type(model).model_fields:
            yield from all_paths(getattr(model, name), loc + (name,))
    elif isinstance(model, dict):
        for key, value in model.items():
            yield from all_paths(value, loc + (key,))


def load_scenario(
    path: str | os.PathLike, overrides: Mapping[str, Any] | None = None, baseline=None, skip: tuple[str, ...] = ()
) -> Scenario:
    """Load, merge and validate a scenario file.

    Parameters
    ----------
    path : path-like
        The scenario YAML file.
    overrides : mapping, optional
        Dotted-path overrides applied after the file (``{"energy.grid_emission_factor": 0.8}``).
    baseline : Baseline, optional
        Whose region and sector codes the file is checked against; defaults to :func:`load_baseline`.
    skip : tuple of str, optional
        File names of ancestor layers to leave out (``simcore calibrate`` refits without the layer it
        generates, ``calibrated_trend.yaml``, so that no stale fitted key survives a refit).

    Raises
    ------
    ScenarioError
        Listing every problem found, each with file, line, key, value and rule.
    """
    b = baseline or _default_baseline()
    return _load(Path(path), overrides, b.regions, b.sectors, skip)


def _default_baseline():
    from simcore.baseline.tables import load_baseline

    return load_baseline()


def _load(path: Path, overrides, regions, sectors, skip: tuple[str, ...] = ()) -> Scenario:
    issues: list[Issue] = []
    chain = [layer for layer in _chain(path, issues) if layer[0].name not in skip or layer[0] == path.resolve()]
    merged: dict = {}
    marks: Marks = {}
    for _, data, layer_marks in chain:
        merged = deep_merge(merged, data)
        marks.update(layer_marks)
    merged.pop("extends", None)
    merged = _apply_overrides(merged, marks, overrides, issues)
    if issues:
        raise ScenarioError(issues)
    layers = tuple(_display(p) for p, _, _ in chain)
    if overrides:
        layers += tuple(f"override: {k}={v}" for k, v in overrides.items())
    return _validated(merged, marks, _display(path), layers, regions, sectors)


def _validated(
    merged: dict, marks: Marks, fallback: str, layers: tuple[str, ...], regions, sectors, evaluate: bool = True
) -> Scenario:
    issues: list[Issue] = []
    spec = None
    try:
        spec = ScenarioSpec.model_validate(merged)
    except ValidationError as exc:
        issues += pydantic_issues(exc, merged, marks, fallback)
    issues += _code_issues(merged, marks, fallback, regions, sectors)
    if spec is not None and not issues:
        issues += _target_issues(spec, marks, fallback, sectors)
        if evaluate:
            issues += _evaluation_issues(spec, marks, fallback)
    if issues:
        raise ScenarioError(sorted(_dedupe(issues), key=lambda i: (i.file, i.line, i.path)))
    return Scenario(spec.name, spec, layers, MappingProxyType(merged), MappingProxyType(marks))


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any], baseline=None) -> Scenario:
    """The scenario with dotted-path overrides applied on top (validated again; files are not re-read).

    Time paths are evaluated when the scenario is compiled (``engine.compile_scenario`` reports a path that
    cannot be evaluated with its line), not here: sweeps call this once per run.
    """
    b = baseline or _default_baseline()
    marks = dict(scenario.marks)
    issues: list[Issue] = []
    merged = _apply_overrides(_thaw(scenario.raw), marks, overrides, issues)
    if issues:
        raise ScenarioError(issues)
    layers = scenario.layers + tuple(f"override: {k}={v}" for k, v in overrides.items())
    return _validated(
        merged,
        marks,
        scenario.layers[-1] if scenario.layers else "<scenario>",
        layers,
        b.regions,
        b.sectors,
        evaluate=False,
    )


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_thaw(v) for v in value]
    return value


def _evaluation_issues(spec: ScenarioSpec, marks: Marks, fallback: str) -> list[Issue]:
    """Paths that validate but cannot be evaluated (overlapping periods, unsolvable totals)."""
    issues = []
    for loc, path in all_paths(spec):
        try:
            path.evaluate(1.0 if path.kind == "level" else None)
        except ValueError as exc:
            name, line = location_of(marks, loc, fallback)
            issues.append(
                Issue(
                    name,
                    line,
                    _dotted(loc),
                    str(exc),
                    path.model_dump(exclude_none=True),
                    "a path that can be evaluated over 2020-2035",
                )
            )
    return issues


__all__ = [
    "Issue",
    "Scenario",
    "ScenarioError",
    "deep_merge",
    "load_scenario",
    "parse_override",
    "parse_period",
    "with_overrides",
]
