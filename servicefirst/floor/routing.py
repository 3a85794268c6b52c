from django.urls import path

from servicefirst.floor.consumers import FloorConsumer

websocket_urlpatterns = [path("ws/floor/<int:branch_id>/", FloorConsumer.as_asgi())]
