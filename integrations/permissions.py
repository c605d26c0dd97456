"""Who manages webhooks: administrators, finance and executives."""

from ltc_portal.core.roles import Role, has_role


def may_manage_webhooks(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or has_role(user, Role.FINANCE, Role.EXECUTIVE)))
