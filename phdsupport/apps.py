from django.apps import AppConfig


class PhdsupportConfig(AppConfig):
    name = "phdsupport"

    def ready(self) -> None:
        from phdsupport import lookups

        lookups.register()
