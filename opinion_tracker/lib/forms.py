"""Form pieces every app's forms and admin share: links taken as https, and a service's errors shown on a form."""

from django.db import models

# Links typed without a scheme are taken as https (Django 6's default, opted into now).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


def https_formfield(db_field, **kwargs):
    return db_field.formfield(**HTTPS_URLS.get(type(db_field), {}), **kwargs)


def add_service_errors(form, errors) -> None:
    """Show a service's field errors on the form (on the form as a whole for fields it does not have)."""
    for field, field_messages in errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def add_new_service_errors(form, errors) -> None:
    """The service's errors on fields the form has not already found wrong (one message per field is enough)."""
    add_service_errors(form, {field: messages for field, messages in errors.items() if field not in form.errors})
