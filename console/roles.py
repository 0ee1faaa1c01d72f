"""The six roles and what each may do: one table, enforced on every page and API call, and
printed into the README (``markdown_table``)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    EDITOR = "editor"
    MARKETER = "marketer"
    MAILBOX_MODERATOR = "mailbox_moderator"
    CONTEST_MODERATOR = "contest_moderator"
    VIEWER = "viewer"


class Permission(StrEnum):
    MANAGE_USERS = "manage_users"  # create users, change roles, disable, reset
    VIEW_AUDIT = "view_audit"
    ERASE = "erase"  # GDPR erasure of a sender
    EDIT_POLICY = "edit_policy"  # propose detection policy versions
    APPROVE_POLICY = "approve_policy"  # the second person for a weakening change
    VIEW_STATS = "view_stats"  # volumes, entity types, redaction rates: no message text
    VIEW_DASHBOARD = "view_dashboard"  # throughput, redaction rates, lag
    VIEW_INBOX = "view_inbox"  # masked conversations
    REVEAL_CONTACT = "reveal_contact"  # a phone number or e-mail address, with a reason
    VIEW_CONTESTS = "view_contests"  # contest entries, masked
    MARK_WINNERS = "mark_winners"
    REVEAL_ADDRESS = "reveal_address"  # a winner's postal address, with a reason
    SEND_FORMS = "send_forms"  # a winner a secure form, through the bot (the link never shows here)


_EVERYTHING = frozenset(Permission)
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: _EVERYTHING,
    Role.EDITOR: frozenset({Permission.EDIT_POLICY, Permission.VIEW_DASHBOARD}),
    Role.MARKETER: frozenset({Permission.VIEW_STATS, Permission.VIEW_DASHBOARD}),
    Role.MAILBOX_MODERATOR: frozenset({Permission.VIEW_INBOX, Permission.REVEAL_CONTACT, Permission.VIEW_DASHBOARD}),
    Role.CONTEST_MODERATOR: frozenset(
        {
            Permission.VIEW_CONTESTS,
            Permission.MARK_WINNERS,
            Permission.REVEAL_ADDRESS,
            Permission.SEND_FORMS,
            Permission.VIEW_DASHBOARD,
        }
    ),
    Role.VIEWER: frozenset({Permission.VIEW_DASHBOARD}),
}

# Who can see an original, erase or manage people signs in with a second factor, always.
_SENSITIVE = frozenset(
    {
        Permission.REVEAL_CONTACT,
        Permission.REVEAL_ADDRESS,
        Permission.ERASE,
        Permission.MANAGE_USERS,
        Permission.APPROVE_POLICY,
    }
)

# Which entity types each reveal permission opens.
REVEALABLE: dict[Permission, frozenset[str]] = {
    Permission.REVEAL_CONTACT: frozenset({"PHONE_NUMBER", "EMAIL_ADDRESS"}),
    Permission.REVEAL_ADDRESS: frozenset({"STREET_ADDRESS"}),
}


def allowed(role: Role, permission: Permission) -> bool:
    return permission in GRANTS[role]


def needs_totp(role: Role) -> bool:
    return bool(GRANTS[role] & _SENSITIVE)


def may_reveal(role: Role, entity_type: str) -> bool:
    """Administrators reveal any type; the others only the types their job needs."""
    if role is Role.ADMINISTRATOR:
        return True
    return any(entity_type in types for permission, types in REVEALABLE.items() if permission in GRANTS[role])


def markdown_table() -> str:
    roles = list(Role)
    rows = ["| permission | " + " | ".join(r.value for r in roles) + " |", "|---" * (len(roles) + 1) + "|"]
    for permission in Permission:
        marks = " | ".join("✓" if permission in GRANTS[r] else "" for r in roles)
        rows.append(f"| `{permission.value}` | {marks} |")
    rows.append("| 2FA (TOTP) | " + " | ".join("required" if needs_totp(r) else "optional" for r in roles) + " |")
    return "\n".join(rows) + "\n"
