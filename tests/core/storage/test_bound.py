"""A statement's rows bound as SQLAlchemy runs them: one as a plain execution, several as one
executemany, none refused (SQLAlchemy would run an INSERT of a row of defaults)."""

import pytest

from core.storage.database import bound


def test_one_row_is_bound_alone_and_several_together():
    one, two = {"a": 1}, {"a": 2}
    assert bound([one]) is one
    assert bound([one, two]) == [one, two]


def test_no_rows_is_refused():
    with pytest.raises(ValueError, match="no rows"):
        bound([])
