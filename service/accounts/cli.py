"""Operator commands for portal accounts: `encompass users invite|list|deactivate|reset-two-factor|totp-code`."""

from service.accounts import service as accounts_service
from service.accounts import administration
from service.audit.service import Actor
from service.db import unit_of_work, utcnow

OPERATOR = Actor(type="operator", id="cli", source="cli")


def cmd_invite(args) -> int:
    urns = tuple(args.urn or ())
    la_codes = tuple(args.la or ())
    with unit_of_work() as session:
        invitation = administration.invite_user(session, email=args.email, display_name=args.name or "", kind=args.kind,
                                                  urns=urns, role=args.role, la_codes=la_codes, now=utcnow(), by=OPERATOR,
                                                  force_id=args.force)
    if invitation.link is None:
        print(f"{args.email} already has an account; their settings and local authorities were updated. No link is needed.")
        return 0
    print(f"Invitation for {args.email} (user {invitation.user_id}). It works once, until {invitation.expires_at:%d %B %Y %H:%M} UTC.")
    print("An email with this link is queued; you can also pass it on yourself through a secure channel:")
    print(f"\n    {invitation.link}\n")
    return 0


def cmd_list(_args) -> int:
    with unit_of_work() as session:
        users = administration.list_users(session)
    print(f"{'id':>4}  {'email':<44} {'kind':<14} {'state':<12} settings / LAs")
    for user in users:
        state = "deactivated" if not user.is_active else "invited" if not user.has_password else "no app" if not user.has_two_factor else "active"
        print(f"{user.id:>4}  {user.email:<44} {user.kind:<14} {state:<12} {', '.join(user.places)}")
    return 0


def cmd_deactivate(args) -> int:
    with unit_of_work() as session:
        user = administration.deactivate_user(session, email=args.email, by=OPERATOR)
    print(f"User {user.id} deactivated and signed out everywhere.")
    return 0


def cmd_reset_two_factor(args) -> int:
    with unit_of_work() as session:
        user = accounts_service.find_user(session, args.email)
        if user is None:
            raise ValueError(f"No user with email {args.email}.")
        administration.reset_two_factor(session, user_id=user.id, by=OPERATOR)
    print(f"User {user.id} will set up a new authenticator app at their next sign-in.")
    return 0


def cmd_totp_code(args) -> int:
    with unit_of_work() as session:
        code = administration.code_for_demo(session, email=args.email, now=utcnow())
    print(code)
    return 0


def cmd_purge_sessions(_args) -> int:
    from service.accounts import sessions, throttle

    with unit_of_work() as session:
        now = utcnow()
        ended = sessions.purge_expired(session, now=now, limits=sessions.limits_from_settings())
        forgotten = throttle.purge(session, now)
    print(f"Removed {ended} expired sessions and {forgotten} old sign-in failure counts.")
    return 0


def register_commands(areas, area, command) -> None:
    users = area("users", "portal accounts: Key Adults, deputies, LA officers, police staff and administrators")
    sub = command(users, "invite", cmd_invite, "create an account (or add a setting or LA to one) and print a one-time link")
    sub.add_argument("--email", required=True)
    sub.add_argument("--name", help="display name, e.g. 'Alex Morgan (DSL)'")
    sub.add_argument("--kind", required=True, choices=("setting_staff", "la_officer", "admin", "police_staff"))
    sub.add_argument("--urn", action="append", help="setting URN for setting staff (repeatable)")
    sub.add_argument("--role", choices=("key_adult", "deputy"), help="role at those settings")
    sub.add_argument("--la", action="append", help="LA code for an LA officer (repeatable)")
    sub.add_argument("--force", help="police force id for police staff (one force each)")
    command(users, "list", cmd_list, "list accounts and what they belong to")
    sub = command(users, "deactivate", cmd_deactivate, "stop an account signing in and end its sessions")
    sub.add_argument("--email", required=True)
    sub = command(users, "reset-two-factor", cmd_reset_two_factor, "after a lost phone: the next sign-in sets up a new app")
    sub.add_argument("--email", required=True)
    command(users, "purge-sessions", cmd_purge_sessions, "remove expired sessions and old sign-in failure counts (run daily)")
    sub = command(users, "totp-code", cmd_totp_code, "development only: print the current code for an account (for demos)")
    sub.add_argument("--email", required=True)
