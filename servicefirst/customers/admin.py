from django.contrib import admin

from servicefirst.accounts.admin import MatrixAdmin
from servicefirst.customers.models import Campaign, Product


@admin.register(Product)
class ProductAdmin(MatrixAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "category",
        "risk_level",
        "is_flagship",
        "is_active",
    )
    list_filter = ("category", "is_flagship", "is_active")


@admin.register(Campaign)
class CampaignAdmin(MatrixAdmin):
    list_display = ("code", "name", "product", "started_on")
