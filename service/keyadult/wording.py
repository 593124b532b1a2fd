"""How the Key Adult's pages say risk levels and statuses. Dates, times, ages and names: service.wording's filters."""


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

# govuk-tag colour modifiers. Colour only repeats what the tag's words already say.
STATUS_TAG_CLASSES = {
    "New": "govuk-tag--blue",
    "Viewed": "govuk-tag--light-blue",
    "Acknowledged": "govuk-tag--green",
    "Closed": "govuk-tag--grey",
    "Escalated": "govuk-tag--orange",
    "Overdue": "govuk-tag--red",
}
RISK_TAG_CLASSES = {"high": "govuk-tag--red", "medium": "govuk-tag--orange", "standard": "govuk-tag--grey",
                    "not_assessed": "govuk-tag--grey"}


def status_label(status: str, *, overdue: bool) -> str:
    return "Overdue" if overdue else STATUS_LABELS.get(status, status.capitalize())


def risk_label(risk_level: str | None) -> str:
    return RISK_LABELS.get(risk_level or "", "Not given")

