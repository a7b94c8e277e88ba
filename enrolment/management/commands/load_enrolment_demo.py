import random

from django.core.management.base import BaseCommand
from django.utils import timezone

from enrolment.demo import demo_enrolment
from programs.rules import fiscal_year


class Command(BaseCommand):
    help = "Synthetic reported enrolment statistics for the demo's universities (replaces any there)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, seed: int, **options):
        rows = demo_enrolment(last_year=fiscal_year(timezone.localdate()), rng=random.Random(seed))
        self.stdout.write(f"{rows} rows")
