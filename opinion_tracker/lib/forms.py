"""Form pieces every app's forms and admin share: links taken as https, and a service's errors shown on a form."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from .validation import LARGEST_ID

# Links typed without a scheme are taken as https (Django 6's default, opted into now).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


def https_formfield(db_field, **kwargs):
    return db_field.formfield(**HTTPS_URLS.get(type(db_field), {}), **kwargs)


def holds_id(value) -> bool:
    """Whether ``value`` could be a row's id, so asking the database about it is safe: SQLite raises
    ``OverflowError`` (a 500) for a number no column can hold. What is not a number is left to Django's checks."""
    try:
        return 0 < int(value) <= LARGEST_ID
    except (TypeError, ValueError):
        return True


class IdChoiceField(forms.ModelChoiceField):
    """A choice of one row, refusing a number no column can hold as any other choice not offered."""

    def to_python(self, value):
        if value not in self.empty_values and not holds_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdChoicesField(forms.ModelMultipleChoiceField):
    """A choice of several rows, refusing numbers no column can hold as any other choice not offered."""

    def clean(self, value):
        for item in value if isinstance(value, list | tuple) else []:
            if not holds_id(item):
                message = self.error_messages["invalid_choice"]
                raise ValidationError(message, code="invalid_choice", params={"value": item})
        return super().clean(value)


def add_service_errors(form, errors) -> None:
    """Show a service's field errors on the form (on the form as a whole for fields it does not have)."""
    for field, field_messages in errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def add_new_service_errors(form, errors) -> None:
    """The service's errors on fields the form has not already found wrong (one message per field is enough)."""
    add_service_errors(form, {field: messages for field, messages in errors.items() if field not in form.errors})
