app_name = "remedies"
urlpatterns: list = []
