import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("customers", "0004_interaction_request_apology_web"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnonymisationRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="anonymised"
                    ),
                ),
                ("by_username", models.CharField(blank=True, max_length=150, verbose_name="user")),
                ("fields", models.JSONField(blank=True, default=dict, verbose_name="fields")),
                (
                    "by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="accounts.staff",
                        verbose_name="by",
                    ),
                ),
                (
                    "customer",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="anonymisation",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
            ],
            options={
                "verbose_name": "anonymisation",
                "verbose_name_plural": "anonymisations",
                "ordering": ["-at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="LegalHold",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.CharField(max_length=300, verbose_name="reason")),
                (
                    "placed_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="placed"
                    ),
                ),
                (
                    "released_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="released"),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="legal_holds",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "placed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.staff",
                        verbose_name="placed by",
                    ),
                ),
                (
                    "released_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.staff",
                        verbose_name="released by",
                    ),
                ),
            ],
            options={
                "verbose_name": "legal hold",
                "verbose_name_plural": "legal holds",
                "ordering": ["-placed_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("released_at__isnull", True)),
                        fields=("customer",),
                        name="legal_hold_one_open",
                    )
                ],
            },
        ),
    ]
