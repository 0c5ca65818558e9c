from django.urls import re_path

from glance_sig_horizon import views

urlpatterns = [
    re_path(r"^$", views.PortalView.as_view(), name="index"),
    re_path(r"^token/$", views.token, name="token"),
]
