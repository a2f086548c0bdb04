"""Fixtures of the runjournal package's suite: a fresh journal per test, in
a directory of its own (pytest's tmp_path)."""

import pytest

import runjournal


@pytest.fixture
def path(tmp_path):
    return tmp_path / "test.journal"


@pytest.fixture
def journal(path):
    with runjournal.Journal.open(path) as j:
        yield j
