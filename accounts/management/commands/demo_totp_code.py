from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_DEVICE_NAME, totp_code


class Command(BaseCommand):
    help = "Print the second-factor code a demo account accepts now (DEBUG only; demo accounts only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        if not settings.DEBUG:
            raise CommandError("Only with DEBUG=true: demo accounts belong to the demo.")
        device = TOTPDevice.objects.filter(user__username=username, name=DEMO_DEVICE_NAME, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator (load_demo enrols one).")
        self.stdout.write(totp_code(device))
