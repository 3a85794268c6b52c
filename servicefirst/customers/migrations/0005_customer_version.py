from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_interaction_request_apology_web"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="version"),
        ),
    ]
