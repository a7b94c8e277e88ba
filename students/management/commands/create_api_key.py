from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from students.api.keys import api_key_create
from students.models import ApiKey, University


class Command(BaseCommand):
    help = (
        "Issue an API key and print it (shown once): --university-id N --scope read|write, or --ministry; "
        "--issued-by USERNAME names the person recorded as issuing it (or --system for none)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--university-id", type=int)
        parser.add_argument("--scope", choices=["read", "write"], default="read")
        parser.add_argument("--ministry", action="store_true", help="A ministry key: aggregates only.")
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--issued-by",
            help="Username of the person issuing the key; history records the key's writes under them.",
        )
        parser.add_argument(
            "--system", action="store_true", help="Issue the key with no person behind it (history names none)."
        )

    def handle(self, *args, university_id, scope, ministry, name, issued_by, system, **options):
        if ministry == (university_id is not None):
            raise CommandError("Give exactly one of --university-id or --ministry.")
        if system == bool(issued_by):
            raise CommandError("Give exactly one of --issued-by USERNAME or --system.")
        issuer = None
        if issued_by:
            issuer = get_user_model().objects.filter(username=issued_by, is_active=True).first()
            if issuer is None:
                raise CommandError(f"No active user {issued_by!r}.")
        university = None
        if university_id is not None:
            university = University.objects.filter(pk=university_id).first()
            if university is None:
                raise CommandError(f"No university with id {university_id}.")
        _key, secret = api_key_create(
            name=name or (f"{university.name_ja} {scope}" if university else "ministry"),
            scope=ApiKey.Scope.MINISTRY if ministry else scope,
            university=university,
            acting_user=issuer,
        )
        self.stdout.write(secret)
