"""CLI inputs: argument parsing and column mappings reject bad input with a usage message."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.__main__ import build_parser
from monitoring.sources.replay import DEFAULT_COLUMNS, parse_mapping


def _vocabulary(parser: argparse.ArgumentParser) -> list[str]:
    """Every command, sub-command and option string the CLI knows."""
    words: list[str] = []
    for action in parser._actions:
        words += action.option_strings
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                words += [name, *_vocabulary(sub)]
    return words


WORDS = sorted(set(_vocabulary(build_parser()))) + [
    "0", "-1", "1e309", "nan", "x", "", "--", "text=body", "csv", "jsonl", "admin"]


@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=8))
def test_parser_returns_a_command_or_exits_with_usage(argv):
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            args = build_parser().parse_args(argv)
    except SystemExit as exc:
        assert exc.code in (0, 2)
        if exc.code == 2:
            assert "usage:" in err.getvalue() and "Traceback" not in err.getvalue()
        return
    assert isinstance(args, argparse.Namespace) and callable(args.func)


@given(st.lists(st.one_of(
    st.tuples(st.sampled_from(sorted(DEFAULT_COLUMNS)), st.text(max_size=10)).map("=".join),
    st.text(max_size=15)), max_size=5).map(",".join))
def test_column_mapping_parses_or_explains(spec):
    try:
        columns = parse_mapping(spec)
    except ValueError as exc:
        assert "FIELD=COLUMN" in str(exc)
        return
    assert set(columns) == set(DEFAULT_COLUMNS) and all(columns.values())


@pytest.mark.parametrize("argv", [["replay", "f.csv", "--batch", "zero"],
                                  ["demo", "--minutes", "many"], ["nope"]])
def test_bad_arguments_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2 and "usage:" in capsys.readouterr().err
