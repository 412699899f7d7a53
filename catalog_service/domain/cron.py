"""Cron schedules as a Kubernetes CronJob reads them (robfig/cron's standard parser): five
fields, or one of the macros. The manifest's pattern checks the shape; this checks the values, so
that ``61 * * * *`` is a located problem in the manifest instead of a CronJob the cluster refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for low + i
    question: bool = False  # '?' allowed (day fields)

    def number(self, text: str) -> int:
        upper = text.upper()
        if upper in self.names:
            return self.low + self.names.index(upper)
        if not text.isascii() or not text.isdigit():
            raise ValueError(f"{text!r} is not a number{self._names_hint()}")
        value = int(text)
        if not self.low <= value <= self.high:
            raise ValueError(f"{value} is out of range {self.low}-{self.high}")
        return value

    def _names_hint(self) -> str:
        return f" or one of {self.names[0]}..{self.names[-1]}" if self.names else ""


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31, question=True),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 6, _DAYS, question=True),
)


def cron_problem(schedule: str) -> str | None:
    """What is wrong with ``schedule``, or None when a CronJob accepts it."""
    if schedule.startswith("@"):
        if schedule in MACROS:
            return None
        return f"unknown schedule {schedule!r}; the macros are " + ", ".join(MACROS)
    fields = schedule.split()
    if len(fields) != len(_FIELDS) or schedule != schedule.strip():
        return f"must be a cron expression with five fields, such as '0 2 * * *', not {schedule!r}"
    for text, field in zip(fields, _FIELDS, strict=True):
        for item in text.split(","):
            try:
                _check_item(item, field)
            except ValueError as error:
                return f"{field.name} field {text!r}: {error}"
    return None


def _check_item(item: str, field: _Field) -> None:
    span, slash, step = item.partition("/")
    if slash and (not step.isascii() or not step.isdigit() or int(step) == 0):
        raise ValueError(f"the step {step!r} must be a whole number above 0")
    if span in ("*", "?"):
        if span == "?" and not field.question:
            raise ValueError("'?' is only allowed in the day fields")
        return
    low, dash, high = span.partition("-")
    start = field.number(low)
    if dash and start > field.number(high):
        raise ValueError(f"the range {span!r} runs backwards")
