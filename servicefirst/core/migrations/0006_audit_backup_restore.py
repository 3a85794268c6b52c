from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_audit_candidate_actions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("customer.view", "Opened customer 360"),
                    ("customer.reveal", "Revealed masked field"),
                    ("customer.create", "Created customer"),
                    ("customer.update", "Changed customer"),
                    ("settings.change", "Changed the bank's settings"),
                    ("customer.merge", "Merged customers"),
                    ("customer.search", "Searched customers"),
                    ("consent.change", "Changed consent"),
                    ("customer.export", "Exported customers"),
                    ("customer.import", "Imported customers"),
                    ("auth.login", "Logged in"),
                    ("auth.login_failed", "Failed login"),
                    ("auth.logout", "Logged out"),
                    ("culture.candidate_view", "Viewed a job candidate"),
                    ("culture.candidate_invite", "Invited a job candidate"),
                    ("ops.backup", "Backed up the database"),
                    ("ops.restore", "Restored the database from a backup"),
                    ("privacy.hold_place", "Placed a legal hold"),
                    ("privacy.hold_release", "Released a legal hold"),
                    ("privacy.anonymise", "Anonymised a customer"),
                ],
                db_index=True,
                max_length=40,
                verbose_name="action",
            ),
        ),
    ]
