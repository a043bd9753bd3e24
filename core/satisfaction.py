"""The satisfaction survey as pure rules: its questions, what a valid answer is, and the
figures the dashboard shows (average scores and the Net Promoter Score)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import ValidationError

#: The longest suggestion a customer may leave (a phone's worth of text, not an essay).
COMMENT_MAX = 500
EASE, CLARITY = (1, 5), (1, 5)
RECOMMEND = (0, 10)
PROMOTERS_FROM, DETRACTORS_UP_TO = 9, 6


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """One customer's answer: "Was it easy to pay with the link?" (1-5), "Was the payment clear
    and secure?" (1-5), "Would you recommend paying this way?" (0-10), and a suggestion."""

    ease: int
    clarity: int
    recommend: int
    comment: str = ""

    def __post_init__(self) -> None:
        for name, value, (low, high) in (
            ("ease", self.ease, EASE),
            ("clarity", self.clarity, CLARITY),
            ("recommend", self.recommend, RECOMMEND),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValidationError(
                    f"{name} is a whole number from {low} to {high}",
                    key="survey_range",
                    field=name,
                    low=low,
                    high=high,
                )
        comment = " ".join(self.comment.split())
        if len(comment) > COMMENT_MAX:
            raise ValidationError(
                f"a suggestion is at most {COMMENT_MAX} characters",
                key="survey_comment",
                most=COMMENT_MAX,
            )
        object.__setattr__(self, "comment", comment)


@dataclass(frozen=True, slots=True)
class SatisfactionSummary:
    answers: int
    ease: float | None  # average, 1-5
    clarity: float | None
    nps: int | None  # -100 to 100
    promoters: int
    passives: int
    detractors: int


def summarise(answers: Sequence[SurveyAnswer]) -> SatisfactionSummary:
    """Averages and the NPS: the share of promoters (9-10) minus the share of detractors (0-6),
    in whole points; no figure at all without an answer."""
    count = len(answers)
    promoters = sum(1 for a in answers if a.recommend >= PROMOTERS_FROM)
    detractors = sum(1 for a in answers if a.recommend <= DETRACTORS_UP_TO)
    if not count:
        return SatisfactionSummary(0, None, None, None, 0, 0, 0)
    return SatisfactionSummary(
        answers=count,
        ease=sum(a.ease for a in answers) / count,
        clarity=sum(a.clarity for a in answers) / count,
        nps=round(100 * (promoters - detractors) / count),
        promoters=promoters,
        passives=count - promoters - detractors,
        detractors=detractors,
    )
