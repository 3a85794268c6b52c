"""Errors raised by services and selectors; the API and pages translate them to responses."""


class ServiceError(Exception):
    """Base class for domain errors."""


class NotFound(ServiceError):
    """The object does not exist, or the actor may not see it (deliberately indistinguishable)."""


class PermissionDenied(ServiceError):
    """The actor may see the object but may not perform this action on it."""


class Conflict(ServiceError):
    """The object was changed by someone else since the actor read it (optimistic locking):
    nothing was changed; the message says by whom and when. HTTP 409."""


class ValidationFailed(ServiceError):
    """Input was rejected. `errors` maps a field name to a list of messages."""

    def __init__(self, errors: dict[str, list[str]] | str):
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = {field: [str(m) for m in messages] for field, messages in errors.items()}
        super().__init__("; ".join(f"{f}: {', '.join(m)}" for f, m in self.errors.items()))

    def text(self) -> str:
        """Every message, one after the other, for a page's notice."""
        return " ".join(m for messages in self.errors.values() for m in messages)
