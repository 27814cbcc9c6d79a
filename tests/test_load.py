"""Load stage: only a safe subset of YAML, every value with its file:line:col."""

from __future__ import annotations

import time

import pytest

from generator.errors import Problems
from generator.load import load_yaml
from generator.schema import text


def load(tmp_path, body: str, **kw):
    path = tmp_path / "f.yaml"
    path.write_text(body, encoding="utf-8")
    problems = Problems()
    return load_yaml(path, problems, **kw), problems


def test_values_keep_their_location(tmp_path):
    value, problems = load(tmp_path, "a: x\nlist:\n  - y\n  - z\n")
    assert not problems.items
    assert (value["a"].loc.line, value["a"].loc.col) == (1, 4)
    assert value["list"][1].loc.line == 4


def test_duplicate_keys_are_rejected(tmp_path):
    _, problems = load(tmp_path, "a: 1\nb: 2\na: 3\n")
    [error] = problems.errors
    assert error.loc.line == 3 and "duplicate key 'a'" in error.message and "line 1" in error.message


def test_anchors_and_aliases_are_rejected_quickly(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9)
    )
    started = time.perf_counter()
    _, problems = load(tmp_path, bomb)
    assert time.perf_counter() - started < 1.0
    assert any("anchor" in p.message for p in problems.errors)
    assert any("alias" in p.message for p in problems.errors)


def test_explicit_tags_are_rejected(tmp_path):
    _, problems = load(tmp_path, "a: !!python/object:os.system x\n")
    assert any("tag" in p.message for p in problems.errors)


@pytest.mark.parametrize("raw,hint", [("no", "true/false"), ("012", "number"), ("1.5", "number"), ("8:30", "number"), ("2026-01-01x", None)])
def test_text_fields_refuse_values_yaml_would_convert(tmp_path, raw, hint):
    value, problems = load(tmp_path, f"a: {raw}\n")
    result = text(value, "a", problems)
    if hint is None:
        assert result == raw and not problems.errors
    else:
        [error] = problems.errors
        assert hint in error.message and f'"{raw}"' in error.message
        assert result == raw  # the text is never silently converted


def test_quoted_values_stay_exactly_as_written(tmp_path):
    value, problems = load(tmp_path, 'a: "no"\nb: "08:30"\nc: "012"\n')
    assert [text(value, k, problems) for k in "abc"] == ["no", "08:30", "012"]
    assert not problems.items


def test_size_limit(tmp_path):
    _, problems = load(tmp_path, "a: " + "x" * 2000 + "\n", max_bytes=1000)
    [error] = problems.errors
    assert "limit" in error.message


def test_not_utf8(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: \xff\xfe\n")
    problems = Problems()
    load_yaml(path, problems)
    assert "UTF-8" in problems.errors[0].message
