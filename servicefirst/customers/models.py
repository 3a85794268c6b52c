"""The customer database: everything the bank knows about each customer."""

import datetime

from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from servicefirst.accounts.models import Staff, Unit


class Product(models.Model):
    class Category(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        FUND = "fund", _("Fund")
        CARD = "card", _("Card")
        LOAN = "loan", _("Loan")
        INSURANCE = "insurance", _("Insurance")
        WEALTH = "wealth", _("Wealth management")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    risk_level = models.PositiveSmallIntegerField(_("risk level (R1–R5)"), default=1)
    min_amount = models.DecimalField(
        _("minimum amount"), max_digits=14, decimal_places=2, default=0
    )
    is_flagship = models.BooleanField(_("flagship product"), default=False)
    is_active = models.BooleanField(_("on sale"), default=True)
    launched_on = models.DateField(_("launched"), null=True, blank=True)

    class Meta:
        ordering = ["category", "code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class Customer(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")
        UNKNOWN = "U", _("Not stated")

    class IdType(models.TextChoices):
        RESIDENT = "resident", _("PRC resident identity card")
        PASSPORT = "passport", _("Passport")
        HK_MACAU = "hk_macau", _("Mainland travel permit (HK/Macau)")
        TAIWAN = "taiwan", _("Mainland travel permit (Taiwan)")
        FOREIGN_PR = "foreign_pr", _("Foreign permanent resident card")
        OTHER = "other", _("Other")

    class Marital(models.TextChoices):
        SINGLE = "single", _("Single")
        MARRIED = "married", _("Married")
        DIVORCED = "divorced", _("Divorced")
        WIDOWED = "widowed", _("Widowed")
        UNKNOWN = "unknown", _("Unknown")

    class WorkNature(models.TextChoices):
        EMPLOYEE = "employee", _("Employee")
        CIVIL_SERVANT = "civil_servant", _("Civil servant / public institution")
        SELF_EMPLOYED = "self_employed", _("Self-employed")
        BUSINESS_OWNER = "business_owner", _("Business owner")
        PROFESSIONAL = "professional", _("Professional (doctor, lawyer, teacher...)")
        FARMER = "farmer", _("Farmer")
        RETIRED = "retired", _("Retired")
        STUDENT = "student", _("Student")
        UNEMPLOYED = "unemployed", _("Not working")
        HOUSEHOLD = "household", _("Homemaker")
        UNKNOWN = "unknown", _("Unknown")

    class IncomeBand(models.TextChoices):
        UNDER_50K = "lt50k", _("Under ¥50,000 a year")
        FROM_50K = "50k-100k", _("¥50,000–100,000")
        FROM_100K = "100k-300k", _("¥100,000–300,000")
        FROM_300K = "300k-1m", _("¥300,000–1,000,000")
        OVER_1M = "gt1m", _("Over ¥1,000,000")
        UNKNOWN = "unknown", _("Unknown")

    class Channel(models.TextChoices):
        BRANCH = "branch", _("Branch")
        PHONE = "phone", _("Phone")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        MOBILE_APP = "app", _("Mobile app")
        WECHAT = "wechat", _("WeChat")
        POST = "post", _("Post")

    class ContactTime(models.TextChoices):
        ANY = "any", _("Any time")
        MORNING = "morning", _("Weekday mornings")
        AFTERNOON = "afternoon", _("Weekday afternoons")
        EVENING = "evening", _("Weekday evenings")
        WEEKEND = "weekend", _("Weekends")

    class RiskAppetite(models.TextChoices):
        C1 = "C1", _("C1 Conservative")
        C2 = "C2", _("C2 Cautious")
        C3 = "C3", _("C3 Balanced")
        C4 = "C4", _("C4 Growth")
        C5 = "C5", _("C5 Aggressive")
        UNASSESSED = "", _("Not assessed")

    class AumBand(models.TextChoices):
        UNDER_50K = "lt50k", _("Under ¥50,000")
        FROM_50K = "50k-500k", _("¥50,000–500,000")
        FROM_500K = "500k-6m", _("¥500,000–6,000,000")
        OVER_6M = "gt6m", _("Over ¥6,000,000")

    class Tier(models.TextChoices):
        MASS = "mass", _("Mass")
        AFFLUENT = "affluent", _("Affluent")
        WEALTH = "wealth", _("Wealth")
        PRIVATE = "private", _("Private banking")

    class Lifecycle(models.TextChoices):
        CURRENT = "current", _("Current customer")
        COMPETITOR = "competitor", _("Competitor's customer")
        POTENTIAL = "potential", _("Potential customer")
        NEVER = "never", _("Never a customer")
        FORMER = "former", _("Former customer")

    number = models.CharField(_("customer number"), max_length=20, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60, blank=True)
    name_latin = models.CharField(_("Latin name"), max_length=120, blank=True)
    # Derived from the names on every save, for search.
    pinyin_full = models.CharField(max_length=200, blank=True, editable=False)
    pinyin_initials = models.CharField(max_length=60, blank=True, editable=False)
    gender = models.CharField(
        _("gender"), max_length=1, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_type = models.CharField(
        _("identity document"), max_length=20, choices=IdType.choices, blank=True
    )
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    id_number_last4 = models.CharField(max_length=4, blank=True, editable=False)

    marital_status = models.CharField(
        _("marital status"), max_length=10, choices=Marital.choices, default=Marital.UNKNOWN
    )
    dependents = models.PositiveSmallIntegerField(_("dependants"), null=True, blank=True)
    occupation = models.CharField(_("occupation"), max_length=80, blank=True)
    work_nature = models.CharField(
        _("nature of work"), max_length=20, choices=WorkNature.choices, default=WorkNature.UNKNOWN
    )
    employer = models.CharField(_("employer"), max_length=120, blank=True)
    income_band = models.CharField(
        _("income"), max_length=10, choices=IncomeBand.choices, default=IncomeBand.UNKNOWN
    )
    education = models.CharField(_("education"), max_length=40, blank=True)

    home_address = models.CharField(_("home address"), max_length=200, blank=True)
    mailing_address = models.CharField(_("mailing address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    preferred_language = models.CharField(_("preferred language"), max_length=10, default="zh")
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.BRANCH
    )
    contact_time = models.CharField(
        _("preferred contact time"),
        max_length=10,
        choices=ContactTime.choices,
        default=ContactTime.ANY,
    )
    interests = models.JSONField(_("preferences and interests"), default=list, blank=True)
    risk_appetite = models.CharField(
        _("risk appetite"), max_length=2, choices=RiskAppetite.choices, blank=True, default=""
    )
    channels_used = models.JSONField(_("channels used"), default=list, blank=True)
    aum_band = models.CharField(
        _("assets under management"),
        max_length=10,
        choices=AumBand.choices,
        default=AumBand.UNDER_50K,
    )
    do_not_call = models.BooleanField(_("do not call"), default=False)

    relationship_manager = models.ForeignKey(
        Staff,
        verbose_name=_("relationship manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    home_branch = models.ForeignKey(
        Unit,
        verbose_name=_("home branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    value_tier = models.CharField(
        _("value tier"), max_length=10, choices=Tier.choices, default=Tier.MASS
    )
    lifecycle = models.CharField(
        _("lifecycle"), max_length=12, choices=Lifecycle.choices, default=Lifecycle.CURRENT
    )
    lifecycle_reason = models.CharField(_("reason for lifecycle"), max_length=200, blank=True)

    # Where the record came from, for idempotent imports (upsert on source + key).
    source = models.CharField(_("source"), max_length=40, blank=True)
    source_key = models.CharField(_("key in source"), max_length=64, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Optimistic locking: every write through customers.services adds one; an edit made from
    # a page or an API client that read an older version is refused (services.StaleCustomer).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["number"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["name_zh"], name="cust_name_zh"),
            models.Index(fields=["pinyin_initials"], name="cust_initials"),
            models.Index(fields=["pinyin_full"], name="cust_pinyin"),
            models.Index(Upper("name_latin"), name="cust_name_latin_upper"),
            models.Index(fields=["home_branch", "lifecycle"], name="cust_branch_lifecycle"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=~models.Q(source=""),
                name="cust_source_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.number})"

    @property
    def display_name(self) -> str:
        return self.name_zh or self.name_latin or self.number

    @property
    def age(self) -> int | None:
        if not self.birth_date:
            return None
        today = timezone.localdate()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    @property
    def is_active(self) -> bool:
        return self.merged_into_id is None


class CustomerPhone(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        HOME = "home", _("Home")
        WORK = "work", _("Work")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MOBILE)
    e164 = models.CharField(_("phone"), max_length=20, db_index=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "e164"], name="phone_per_customer_unique")
        ]
        verbose_name = _("phone")
        verbose_name_plural = _("phones")

    def __str__(self) -> str:
        return self.e164


class HouseholdLink(models.Model):
    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        PARENT = "parent", _("Parent")
        CHILD = "child", _("Child")
        SIBLING = "sibling", _("Sibling")

    INVERSE = {"spouse": "spouse", "parent": "child", "child": "parent", "sibling": "sibling"}

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="household_links")
    relative = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    # The relative is the customer's <relation>: "relative is customer's spouse".
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "relative"], name="household_pair_unique")
        ]
        verbose_name = _("household link")
        verbose_name_plural = _("household links")

    def __str__(self) -> str:
        return f"{self.relative} is {self.relation} of {self.customer}"


class Holding(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="holdings")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="holdings"
    )
    balance = models.DecimalField(_("balance"), max_digits=16, decimal_places=2, default=0)
    opened_on = models.DateField(_("opened"), default=datetime.date.today)
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    source = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["product__category", "-balance"]
        indexes = [models.Index(fields=["product", "status"], name="holding_product_status")]
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.product_id} {self.balance}"


class Consent(models.Model):
    """One grant of consent; withdrawal is recorded on the same row. History is never rewritten."""

    class Kind(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        PHONE = "phone", _("Phone calls")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("consent"), max_length=10, choices=Kind.choices)
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    source = models.CharField(_("source"), max_length=80)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_source = models.CharField(_("withdrawal source"), max_length=80, blank=True)

    class Meta:
        ordering = ["kind", "-granted_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.kind}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class Campaign(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL
    )
    started_on = models.DateField(_("started"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class Interaction(models.Model):
    """One entry on a customer's timeline. Every capability appends through
    `services.interaction_record`."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Branch visit")
        CALL = "call", _("Call")
        CAMPAIGN_CALL = "campaign_call", _("Campaign call")
        COMPLAINT = "complaint", _("Complaint")
        PURCHASE = "purchase", _("Purchase")
        NOTE = "note", _("Note")
        GREETING = "greeting", _("Greeting")
        CHANGE = "change", _("Profile change")
        REQUEST = "request", _("Service request")
        APOLOGY = "apology", _("Apology")

    # The timeline's channels: the customer's contact channels, and the bank's web form.
    WEB = "web"
    CHANNELS = [*Customer.Channel.choices, (WEB, pgettext_lazy("channel", "Web"))]

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNELS, blank=True)
    staff = models.ForeignKey(
        Staff,
        verbose_name=_("staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    source_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="interaction_timeline"),
            models.Index(fields=["campaign", "outcome"], name="interaction_campaign"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "source_key"],
                condition=~models.Q(source_key=""),
                name="interaction_source_unique",
            ),
        ]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.occurred_at:%Y-%m-%d}"


class CustomerTask(models.Model):
    """Open follow-ups on a customer (call back, visit, renew a deposit...)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    due_on = models.DateField(_("due"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        Staff,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer_tasks",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "due_on"]
        verbose_name = _("customer task")
        verbose_name_plural = _("customer tasks")

    def __str__(self) -> str:
        return self.title


class ImportJob(models.Model):
    """A customer file import: its progress and its report, kept so a long import can resume."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(_("file"), max_length=200)
    file_path = models.CharField(max_length=400)
    mapping = models.CharField(_("column mapping"), max_length=40)
    valid_only = models.BooleanField(_("import only valid rows"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
