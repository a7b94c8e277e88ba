import random

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_TOTP_SECRET, demo_second_factor
from careers.demo import demo_careers
from enrolment.demo import demo_enrolment
from payments.demo import demo_payments
from phdsupport import access
from programs import rules
from programs.models import Program
from reports.demo import demo_reports
from students.demo import demo_generate, demo_history
from students.models import Membership, Student, University

DEMO_PASSWORD = "demo-pass-2025"
DEMO_ACCOUNTS = [
    # username, role, university, programs, superuser
    ("admin", Membership.Role.ADMINISTRATOR, None, [], True),
    ("staff", Membership.Role.UNIVERSITY_STAFF, "東京大学", [], False),  # certifies reports
    ("staff_kyoto", Membership.Role.UNIVERSITY_STAFF, "京都大学", [], False),
    ("officer", Membership.Role.PROGRAM_OFFICER, None, ["SPRING", "BOOST", "FELLOWSHIP", "EMERGENT_RA"], False),
    (
        "officer_jsps",
        Membership.Role.PROGRAM_OFFICER,
        None,
        ["JSPS_DC1", "JSPS_DC2", "JSPS_PD", "JSPS_RPD", "JSPS_CPD"],
        False,
    ),
    ("ministry", Membership.Role.MINISTRY_VIEWER, None, [], False),
]


class Command(BaseCommand):
    # Here, at the top of the dependency order (DESIGN.md), because it fills every app.
    help = "Load reference data, a synthetic data set (labelled synthetic) and demo accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Share of the national headcount to generate (1.0 = national scale).",
        )
        parser.add_argument("--last-fy", type=int, default=None, help="Last fiscal year with new cohorts.")
        parser.add_argument("--extra-universities", type=int, default=0, help="Synthetic universities to add.")
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument("--force", action="store_true", help="Generate even if students exist.")

    def handle(self, *args, scale, last_fy, extra_universities, seed, force, **options):
        call_command("load_reference", stdout=self.stdout)
        if Student.objects.exists() and not force:
            self.stdout.write("Students already exist; skipping data generation (use --force to add more).")
        else:
            last = last_fy or rules.fiscal_year(timezone.localdate())
            size = demo_generate(
                scale=scale, first_fy=2021, last_fy=last, seed=seed, extra_universities=extra_universities
            )
            today, rng = timezone.localdate(), random.Random(seed)
            demo_history(today=today)
            careers = demo_careers(today=today, rng=rng)
            reports = demo_reports(today=today, rng=rng)
            statistics = demo_enrolment(last_year=rules.fiscal_year(today) - 1, rng=rng)
            paid = demo_payments(today=today, rng=rng)
            self.stdout.write(
                f"Synthetic history: {careers:,} career records, {reports:,} reports, "
                f"{statistics:,} enrolment statistics rows, {paid:,} payments."
            )
            self.stdout.write(
                f"Synthetic data: {size.students:,} students, {size.awards:,} awards "
                f"at {size.universities:,} universities (FY2021–FY{last}, scale {scale})."
            )
        self._accounts()

    @transaction.atomic
    def _accounts(self):
        User = get_user_model()
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD})")
        for username, role, university, codes, superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = superuser
            user.email = f"{username}@demo.phdsupport.example"
            user.save()
            membership, _ = Membership.objects.update_or_create(
                user=user,
                defaults={
                    "role": role,
                    "university": University.objects.get(name_ja=university) if university else None,
                    "can_certify": role == Membership.Role.UNIVERSITY_STAFF,
                },
            )
            membership.programs.set(Program.objects.filter(code__in=codes))
            where = f" ({university})" if university else (f" ({', '.join(codes)})" if codes else "")
            if access.needs_second_factor(user):
                demo_second_factor(user=user)
                where += " [second factor]"
            self.stdout.write(f"  {username:<13} {membership.get_role_display()}{where}")
        self.stdout.write(
            f"Accounts marked [second factor] then ask for a code: add the secret {DEMO_TOTP_SECRET} to an "
            "authenticator app, or run `python manage.py demo_totp_code USERNAME` (DEBUG only)."
        )
