from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Bank(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")

    def __str__(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class Unit(models.Model):
    """A branch, the Customer Care Center, or a second-line (back-office) unit."""

    class Kind(models.TextChoices):
        HEAD_OFFICE = "head_office", _("Head office")
        BRANCH = "branch", _("Branch")
        CARE_CENTER = "care_center", _("Customer Care Center")
        OPERATIONS = "operations", _("Operations")
        CARDS = "cards", _("Cards")
        LOANS = "loans", _("Loans")
        IT = "it", _("Information technology")
        WEALTH = "wealth", _("Wealth management")
        COMPLIANCE = "compliance", _("Compliance")
        MARKETING = "marketing", _("Marketing")

    class Line(models.TextChoices):
        FIRST = "first", _("First line (serves customers)")
        SECOND = "second", _("Second line (serves first-line units)")

    FIRST_LINE_KINDS = frozenset({Kind.BRANCH, Kind.CARE_CENTER})

    bank = models.ForeignKey(
        Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="units"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    line = models.CharField(_("line"), max_length=10, choices=Line.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def is_first_line(self) -> bool:
        return self.line == self.Line.FIRST


class Role(models.TextChoices):
    TELLER = "teller", _("Teller")
    LOBBY_MANAGER = "lobby_manager", _("Lobby manager")
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    RELATIONSHIP_MANAGER = "relationship_manager", _("Relationship manager")
    CC_AGENT = "cc_agent", _("Contact-centre agent")
    CC_SUPERVISOR = "cc_supervisor", _("Contact-centre supervisor")
    MARKETING_ANALYST = "marketing_analyst", _("Marketing analyst")
    BACK_OFFICE = "back_office", _("Back-office officer")
    COMPLIANCE_AUDITOR = "compliance_auditor", _("Compliance auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


class Staff(models.Model):
    """A member of staff: the login (Django user) plus the unit, languages and roles."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.CASCADE,
        related_name="staff",
    )
    employee_number = models.CharField(_("employee number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="staff"
    )
    languages = models.JSONField(
        _("languages spoken"),
        default=list,
        blank=True,
        help_text=_("Language codes, e.g. zh, en, yue"),
    )
    preferred_ui_language = models.CharField(
        _("interface language"), max_length=10, default="zh-hans", choices=settings.LANGUAGES
    )
    phone_extension = models.CharField(_("extension"), max_length=10, blank=True)

    class Meta:
        ordering = ["employee_number"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_number})"

    @property
    def role_codes(self) -> frozenset[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = frozenset(self.roles.values_list("role", flat=True))
            self._role_codes = cached
        return cached


class StaffRole(models.Model):
    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "role"], name="staff_role_unique")]
        verbose_name = _("role held")
        verbose_name_plural = _("roles held")

    def __str__(self) -> str:
        return f"{self.staff} · {self.get_role_display()}"


class ApiToken(models.Model):
    """A bearer token for the HTTP API. Only a hash is stored; the token is shown once."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=60)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.staff} · {self.name}"
