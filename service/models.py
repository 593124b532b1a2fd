"""Imports every domain's tables so SQLModel.metadata is complete (Alembic and tests use this)."""

from service.accounts import models as accounts_models  # noqa: F401
from service.alerts import models as alerts_models  # noqa: F401
from service.audit import models as audit_models  # noqa: F401
from service.localauthorities import models as localauthorities_models  # noqa: F401
from service.notifications import models as notifications_models  # noqa: F401
from service.police import models as police_models  # noqa: F401
from service.register import models as register_models  # noqa: F401
from service.policeportal import models as policeportal_models  # noqa: F401
