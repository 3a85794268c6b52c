app_name = "satisfaction"
urlpatterns: list = []
