"""How the Key Adult's pages say risk levels and statuses. Dates, times, ages and names: service.wording's filters."""

from service.wording import STATUS_TAG_CLASSES  # noqa: F401  one colour a status, on every portal


RISK_LABELS = {"standard": "Standard", "medium": "Medium", "high": "High", "not_assessed": "Not assessed"}

STATUS_LABELS = {
    "received": "New",
    "sent": "New",
    "delivered": "New",
    "rerouted": "New",
    "viewed": "Viewed",
    "acknowledged": "Acknowledged",
    "closed": "Closed",
    "escalated": "Escalated",
}

RISK_TAG_CLASSES = {"high": "govuk-tag--red", "medium": "govuk-tag--orange", "standard": "govuk-tag--grey",
                    "not_assessed": "govuk-tag--grey"}


def status_label(status: str, *, overdue: bool) -> str:
    return "Overdue" if overdue else STATUS_LABELS.get(status, status.capitalize())


def risk_label(risk_level: str | None) -> str:
    return RISK_LABELS.get(risk_level or "", "Not given")



def risk_tag_class(risk_level: str | None) -> str:
    return RISK_TAG_CLASSES.get(risk_level or "", "govuk-tag--grey")


def risk_tag_text(risk_level: str | None) -> str:
    """The risk as a tag says it: "High risk", "Risk not assessed", "Risk not given"."""
    if risk_level == "not_assessed":
        return "Risk not assessed"
    if risk_level not in RISK_LABELS:
        return "Risk not given"
    return f"{RISK_LABELS[risk_level]} risk"


def repeat_flag(count: int) -> str:
    """The inbox's and the page's short flag for a child in 3 or more incidents in 3 months."""
    return f"{count} incidents in 3 months"
