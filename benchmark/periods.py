"""Financial-year quarters, the reporting period of every return.

Councils report by financial year: Q1 is April-June, so "2025-26 Q1" is April-June 2025.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_YEARS = r"(?P<y1>\d{4})\s*[-/]\s*(?P<y2>\d{2}|\d{4})"
_QUARTER = r"Q\s*(?P<q>[1-4])"
_PATTERNS = (
    re.compile(rf"^{_YEARS}\s*{_QUARTER}$", re.IGNORECASE),
    re.compile(rf"^{_QUARTER}\s*{_YEARS}$", re.IGNORECASE),
)
# Month in which each quarter ends, and whether that month falls in the second calendar year.
_QUARTER_END = {1: (6, 30, 0), 2: (9, 30, 0), 3: (12, 31, 0), 4: (3, 31, 1)}


# Returns start with 2015-16, the first full financial year of EHC plans (the SEND reforms began in
# September 2014); nothing older is a quarter the network reports, and a year like 0001 would stretch
# every trend over 2,000 years.
EARLIEST_START_YEAR = 2015
LATEST_START_YEAR = 9998


class PeriodError(ValueError):
    """A period that is not a financial-year quarter in a form the standard accepts."""


@dataclass(frozen=True, order=True)
class Period:
    """A financial-year quarter; `start_year` 2025 with `quarter` 1 is April-June 2025."""

    start_year: int
    quarter: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read `2025-26 Q1`, `2025/26 Q1` or `Q1 2025-26` (any case, spaces optional)."""
        cleaned = " ".join(str(text).split())
        for pattern in _PATTERNS:
            match = pattern.match(cleaned)
            if match:
                break
        else:
            raise PeriodError(
                f"'{text}' is not a financial-year quarter; write it like 2025-26 Q1"
            )
        start = int(match["y1"])
        end = int(match["y2"])
        if start < EARLIEST_START_YEAR:
            raise PeriodError(f"'{text}' is before {EARLIEST_START_YEAR}-{(EARLIEST_START_YEAR + 1) % 100:02d} Q1, "
                              "the first quarter the network's returns cover")
        if start > LATEST_START_YEAR:  # the calendar (datetime) ends in 9999
            raise PeriodError(f"'{text}' is not a quarter a return can cover")
        expected_end = start + 1 if len(match["y2"]) == 4 else (start + 1) % 100
        if end != expected_end:
            raise PeriodError(
                f"'{text}': a financial year runs across two consecutive years, "
                f"so {start} must be followed by {(start + 1) % 100:02d}"
            )
        return cls(start, int(match["q"]))

    @classmethod
    def from_index(cls, index: int) -> Period:
        return cls(index // 4, index % 4 + 1)

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        """The quarter a calendar date falls in."""
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @classmethod
    def current(cls, today: dt.date | None = None) -> Period:
        return cls.containing(today or dt.date.today())

    @property
    def index(self) -> int:
        """A whole number that orders quarters; consecutive quarters differ by one."""
        return self.start_year * 4 + self.quarter - 1

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d} Q{self.quarter}"

    @property
    def start(self) -> dt.date:
        month = 4 + 3 * (self.quarter - 1)
        return dt.date(self.start_year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        month, day, next_year = _QUARTER_END[self.quarter]
        return dt.date(self.start_year + next_year, month, day)

    @property
    def months(self) -> str:
        """Plain words for the quarter, e.g. 'April-June 2025'."""
        return f"{self.start:%B}-{self.end:%B %Y}"

    def check_reportable(self, today: dt.date | None = None) -> None:
        """Refuse a quarter after the current one (`parse` already refuses those before 2015-16)."""
        latest = Period.current(today)
        if self > latest:
            raise PeriodError(f"{self} is in the future: the current quarter is {latest}")

    def shift(self, quarters: int) -> Period:
        return Period.from_index(self.index + quarters)

    def __str__(self) -> str:
        return self.label


def period_range(first: Period, last: Period) -> list[Period]:
    """Every quarter from `first` to `last`, both included."""
    return [Period.from_index(i) for i in range(first.index, last.index + 1)]
