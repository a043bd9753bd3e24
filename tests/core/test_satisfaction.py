"""Survey answers and figures against values worked out by hand."""

import pytest

from core.errors import ValidationError
from core.satisfaction import SurveyAnswer, summarise


def test_the_nps_is_promoters_minus_detractors_in_points():
    scores = [10, 9, 9, 8, 7, 6, 3, 0, 10, 10]  # 5 promoters, 2 passives, 3 detractors
    summary = summarise([SurveyAnswer(4, 5, score) for score in scores])
    assert (summary.promoters, summary.passives, summary.detractors) == (5, 2, 3)
    assert summary.nps == 20 and summary.ease == 4.0 and summary.clarity == 5.0


def test_no_answer_no_figure():
    empty = summarise([])
    assert (empty.answers, empty.nps, empty.ease) == (0, None, None)


@pytest.mark.parametrize(
    "fields", [(0, 3, 5), (6, 3, 5), (3, 0, 5), (3, 3, 11), (3, 3, -1), (True, 3, 5)]
)
def test_answers_out_of_their_scale_are_refused(fields):
    with pytest.raises(ValidationError):
        SurveyAnswer(*fields)


def test_a_comment_is_tidied_and_bounded():
    assert SurveyAnswer(3, 3, 5, "  bien\n  vu ").comment == "bien vu"
    with pytest.raises(ValidationError, match="at most 500"):
        SurveyAnswer(3, 3, 5, "x" * 501)
