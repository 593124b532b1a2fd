"""Plain records read from the GIAS register: a setting, a link between two settings, a row that could not be read."""

from dataclasses import dataclass
from datetime import date

# GIAS statuses of settings that still take pupils: "Open", and "Open, but proposed to close".
OPEN_STATUS_PREFIX = "Open"


def is_open_status(status: str) -> bool:
    """Whether a setting with this GIAS status still takes pupils, so still receives notifications."""
    return status.startswith(OPEN_STATUS_PREFIX)


@dataclass(frozen=True, slots=True)
class SettingRecord:
    urn: str
    name: str
    la_code: str
    la_name: str
    type_name: str
    status: str  # raw GIAS text: "Open", "Closed", "Open, but proposed to close", ...
    phase: str
    low_age: int | None
    high_age: int | None
    postcode: str | None
    open_date: date | None
    close_date: date | None
    town: str | None = None  # GIAS "Town": how an officer tells two schools of one name apart

    @property
    def is_open(self) -> bool:
        return is_open_status(self.status)

    def takes_age(self, age: int | None) -> bool:
        """False only when the register's statutory age range rules the age out; unknown ranges rule nothing out."""
        if age is None:
            return True
        if self.low_age is not None and age < self.low_age:
            return False
        if self.high_age is not None and age > self.high_age:
            return False
        return True


@dataclass(frozen=True, slots=True)
class SettingLink:
    urn: str
    link_urn: str
    link_type: str  # raw GIAS text: "Successor", "Successor - merged", "Predecessor", ...
    established: date | None

    @property
    def is_successor(self) -> bool:
        """True when link_urn took over from urn."""
        return self.link_type.startswith("Successor")


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    urn: str | None
    message: str
