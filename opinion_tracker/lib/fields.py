"""Model fields the apps declare alike."""

from django.db import models


def optional_link(to, verbose_name) -> models.ForeignKey:
    """A reference that may be empty and is emptied when what it points to is deleted, with nothing listed
    on the other side: a department's leaders and offices, the policy a plan was copied from. The record
    of what happened never hangs on it, so losing the target loses a pointer, not history."""
    return models.ForeignKey(
        to, verbose_name=verbose_name, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
