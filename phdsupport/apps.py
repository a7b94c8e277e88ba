from django.apps import AppConfig


class PhdsupportConfig(AppConfig):
    name = "phdsupport"
