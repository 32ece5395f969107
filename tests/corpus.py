"""The bad-file corpus (`tests/data/bad_scenarios/`, `tests/data/bad_sweeps/`): each file opens with the message
it must produce.

```
# expect: LINE: KEY: FRAGMENT     the issue's line, dotted key (`<root>` for the file) and part of its problem
# got: TEXT                      optional: part of the rendered value (`; got TEXT, expected ...`)
# rule: TEXT                     optional: part of the rendered rule (`, expected TEXT`)
# xfail: REASON                  optional: a known gap, run as pytest.mark.xfail(strict=True, reason=REASON)
```

The value and the rule must both be in the message (`; got <value>, expected <rule>`).  A known gap is a file
simcore accepts or answers with a traceback today; once it is fixed the strict xfail fails, and the
`# xfail:` line is removed (`pytest --runxfail -k NAME` shows the message simcore now gives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

EXPECT = re.compile(r"^# expect: (\d+): (\S+): (.+)$")
GOT = re.compile(r"^# got: (.+)$")
RULE = re.compile(r"^# rule: (.+)$")
XFAIL = re.compile(r"^# xfail: (.+)$")


@dataclass(frozen=True)
class Expect:
    name: str
    line: int
    key: str
    fragment: str
    got: str | None
    rule: str | None
    xfail: str | None

    def hit(self, issues):
        """The issue this file must produce, its message checked whole: ``file:line[:column]: key: problem;
        got <value>, expected <rule>``, the value showing ``got`` and the rule ``rule`` when the file gives them."""
        rendered = [str(i) for i in issues]
        hits = [
            i for i in issues if i.line == self.line and (i.path or "<root>") == self.key and self.fragment in i.problem
        ]
        assert hits, f"{self.name}: expected line {self.line} {self.key}: {self.fragment}; got {rendered}"
        hit = hits[0]
        text = str(hit)
        column = f":{hit.column}" if hit.column else ""
        head = f"{hit.file}:{self.line}{column}: {hit.path or '<root>'}: {hit.problem}; got "
        tail = f", expected {hit.expected}"
        assert text.startswith(head) and text.endswith(tail) and hit.expected, text
        value = text[len(head) : len(text) - len(tail)]
        if self.got is not None:
            assert self.got in value, f"{self.name}: expected the value to show {self.got!r}; got {value!r} in {text}"
        if self.rule is not None:
            assert self.rule in hit.expected, f"{self.name}: expected the rule to say {self.rule!r}; got {text}"
        return hit


def read_expect(path: Path) -> Expect:
    lines = path.read_bytes().decode("utf-8", "replace").splitlines()
    match = EXPECT.match(lines[0])
    assert match, f"{path.name}: the first line must be `# expect: LINE: KEY: FRAGMENT`"
    line, key, fragment = match.groups()
    got = rule = xfail = None
    for text in lines[1:4]:
        if m := GOT.match(text):
            got = m[1]
        elif m := RULE.match(text):
            rule = m[1]
        elif m := XFAIL.match(text):
            xfail = m[1]
    return Expect(path.name, int(line), key, fragment, got, rule, xfail)


def corpus_params(paths: list[Path]) -> list:
    """One pytest parameter per file; a known gap (`# xfail:`) is a strict xfail with its reason."""
    out = []
    for path in paths:
        reason = read_expect(path).xfail
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(path, marks=marks, id=path.stem))
    return out
