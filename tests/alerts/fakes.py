"""Stand-ins for GOV.UK Notify that tests share: a sender whose emails count as sent, and Notify settings."""

from service.alerts.senders import TEMPLATE_SUBJECTS, LoggingEmailSender

# A well-formed Notify key and a template id for every template: what production must be given to start.
NOTIFY_API_KEY = "encompass-test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
NOTIFY_TEMPLATE_IDS = {name: f"00000000-0000-4000-8000-{i:012d}" for i, name in enumerate(TEMPLATE_SUBJECTS)}
NOTIFY_SETTINGS = {"notify_api_key": NOTIFY_API_KEY, "notify_templates": NOTIFY_TEMPLATE_IDS}


class InboxSender(LoggingEmailSender):
    """Keeps every email in memory as the logging sender does, but stands for Notify accepting it: a real send, so
    the notification it tells someone about becomes sent (delivered once a receipt says so)."""

    delivers = True
