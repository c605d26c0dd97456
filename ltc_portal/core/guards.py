"""Guards: one rule per subject that says whether a user may do something to it *now* — their right
and the subject's state together — and, when not, why, as the exception the service raises (403
``PermissionDenied`` or 409 ``TransitionRefused``).

The service calls ``guard.require(...)``; the page's ``can_*`` flag calls ``guard.allows(...)``; so a
page never offers what the API would refuse, and both refuse in the same words::

    @guard
    def project_writable(project, user):
        if not user.has_perm("delivery.change_project", project):
            return PermissionDenied(_("Only the project's PM or the PMO change it."))
        if project.is_finished:
            return TransitionRefused(...)
"""

from collections.abc import Callable


class Guard:
    def __init__(self, func: Callable[..., Exception | None]):
        self.func = func
        self.__name__ = func.__name__
        self.__doc__ = func.__doc__

    def refusal(self, *args, **kwargs) -> Exception | None:
        """The exception that refuses the action, or None when it is allowed."""
        return self.func(*args, **kwargs)

    def allows(self, *args, **kwargs) -> bool:
        return self.refusal(*args, **kwargs) is None

    def require(self, *args, **kwargs) -> None:
        refusal = self.refusal(*args, **kwargs)
        if refusal is not None:
            raise refusal

    __call__ = require


def guard(func: Callable[..., Exception | None]) -> Guard:
    """Decorator: ``func(...)`` returns the refusal (an exception, not raised) or None."""
    return Guard(func)
