"""People's roles: Django groups of the role names, with the Django admin opened to administrators."""

from django.contrib.auth.models import Group

from incidents.models import Role


def set_roles(person, roles) -> None:
    """Give ``person`` exactly ``roles``; administrators also get the Django admin (configuration)."""
    person.groups.set(Group.objects.filter(name__in=roles))
    is_admin = Role.ADMIN in roles
    if (person.is_staff, person.is_superuser) != (is_admin, is_admin):
        person.is_staff = person.is_superuser = is_admin
        person.save(update_fields=["is_staff", "is_superuser"])
