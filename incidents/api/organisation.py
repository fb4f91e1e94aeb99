"""Departments and people (administrators manage them; others read their own subtree)."""

import django_filters as filters
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.authtoken.models import Token

from incidents.access import HUMAN_ROLES
from incidents.models import Department, Person, ReviewGate, Role
from incidents.services.people import set_roles
from opinion_tracker.lib.api.errors import as_field_errors

from .base import ScopedQuerysetMixin
from .filters import IdFilter
from .permissions import RoleAllows
from .serializers import TakesOnlyItsFields

ADMINS = {Role.ADMIN}


class DepartmentSerializer(TakesOnlyItsFields, serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = [
            "id",
            "name",
            "code",
            "parent",
            "is_government",
            "principal_leader",
            "responsible_leader",
            "supervising_office",
            "publicity_department",
        ]

    def validate(self, attrs):
        """The model's own rules (a department never under itself), checked on what the result would be."""
        candidate = Department(**{**self.current_values(), **attrs})
        try:
            candidate.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(as_field_errors(exc)) from exc
        return attrs

    def current_values(self) -> dict:
        if self.instance is None:
            return {}
        return {"pk": self.instance.pk, "parent": self.instance.parent}


def review_gates_error(gates, roles) -> str | None:
    """Gates are reviewed by people with the reviewer role (docs/api.md, "Decided points"): gates on anyone
    else would read like a right to review that ``statements.deciders`` never grants. The admin's form
    asks the same."""
    if gates and Role.REVIEWER not in roles:
        return _("Only a person with the reviewer role reviews gates: add the role, or remove the gates.")
    return None


class PersonSerializer(TakesOnlyItsFields, serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), required=False)
    review_gates = serializers.ListField(
        child=serializers.ChoiceField(choices=ReviewGate.choices),
        required=False,
        help_text="The gates a person with the reviewer role reviews, each once.",
    )
    # Checked in validate_email rather than by EmailValidator, which would document every answer's
    # email as an address although people without one have "".
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)

    class Meta:
        model = Person
        fields = [
            "id",
            "username",
            "display_name",
            "password",
            "roles",
            "review_gates",
            "department",
            "email",
            "phone",
            "dingtalk_userid",
            "wecom_userid",
            "feishu_user_id",
        ]
        extra_kwargs = {"department": {"required": True, "allow_null": False}}

    def validate_username(self, value):
        """Normalised and compared with the others' as the admin's forms do (``Person.clean``): no look-alikes."""
        candidate = Person(pk=self.instance.pk if self.instance else None, username=value)
        try:
            candidate.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return candidate.username

    def validate_roles(self, value):
        if Role.INTEGRATION in value and len(set(value)) > 1:
            raise serializers.ValidationError(_("An integration account has no other role."))
        return value

    def validate_review_gates(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("Name each gate once."))
        return [gate for gate in ReviewGate.values if gate in value]  # in the gates' own order

    def validate_email(self, value):
        if value:
            try:
                validate_email(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc
        return value

    def validate(self, attrs):
        self.check_review_gates(attrs)
        password = attrs.get("password")
        if self.instance is None and not password:
            raise serializers.ValidationError({"password": [self.fields["password"].error_messages["required"]]})
        if password:
            person = Person(**{k: v for k, v in attrs.items() if k not in ("password", "roles")})
            if self.instance is not None:
                person = self.instance
            try:
                validate_password(password, person)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": exc.messages}) from exc
        return attrs

    def check_review_gates(self, attrs) -> None:
        roles = attrs.get("roles", self.instance.roles if self.instance else [])
        gates = attrs.get("review_gates", self.instance.review_gates if self.instance else [])
        message = review_gates_error(gates, roles)
        if message:
            raise serializers.ValidationError({"review_gates": [message]})

    @transaction.atomic
    def create(self, validated_data):
        roles = validated_data.pop("roles", [])
        person = Person.objects.create_user(**validated_data)
        set_roles(person, roles)
        return person

    @transaction.atomic
    def update(self, person, validated_data):
        roles = validated_data.pop("roles", None)
        password = validated_data.pop("password", None)
        for field, value in validated_data.items():
            setattr(person, field, value)
        if password:
            person.set_password(password)
            Token.objects.filter(user=person).delete()  # a new password ends the old API token too
        person.save()
        if roles is not None:
            set_roles(person, roles)
        return person


class OrganisationViewSet(
    ScopedQuerysetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The organisation's records: read by everyone in scope, created and changed (never deleted, since the
    record points at them) by administrators."""

    permission_classes = [RoleAllows]
    roles = {"list": HUMAN_ROLES, "retrieve": HUMAN_ROLES, "*": ADMINS}
    http_method_names = ["get", "post", "patch", "head", "options"]


class DepartmentViewSet(OrganisationViewSet):
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    department_field = "pk"
    ordering_fields = ["code", "name", "id"]
    search_fields = ["name", "code"]


class PersonFilter(filters.FilterSet):
    department = IdFilter(field_name="department")

    class Meta:
        model = Person
        fields = ["department"]


class PersonViewSet(OrganisationViewSet):
    queryset = Person.objects.prefetch_related("groups")
    serializer_class = PersonSerializer
    ordering_fields = ["username", "id"]
    filterset_class = PersonFilter
