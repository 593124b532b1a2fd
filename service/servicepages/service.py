"""Looks up the names the header shows for the signed-in user's settings and local authorities."""

from sqlmodel import Session, col, select

from service.localauthorities.models import LocalAuthority
from service.register.models import Setting
from service.servicepages.content import SignedInAs, signed_in_as


def names_of_places(session: Session, *, urns: frozenset[str], la_codes: frozenset[str]) -> tuple[dict[str, str], dict[str, str]]:
    """({urn: setting name}, {la code: LA name}); a code the database does not know stands for itself."""
    setting_names = {urn: urn for urn in urns}
    if urns:
        setting_names.update(session.exec(select(Setting.urn, Setting.name).where(col(Setting.urn).in_(urns))).all())
    la_names = {code: code for code in la_codes}
    if la_codes:
        la_names.update(session.exec(select(LocalAuthority.code, LocalAuthority.name)
                                     .where(col(LocalAuthority.code).in_(la_codes))).all())
    return setting_names, la_names


def identity_of(session: Session, user) -> SignedInAs:
    """`user` is the signed-in PortalUser."""
    setting_names, la_names = names_of_places(session, urns=user.urns, la_codes=user.la_codes)
    return signed_in_as(display_name=user.display_name, kind=user.kind, setting_names=setting_names, la_names=la_names)
