from django.core.management.base import BaseCommand, CommandError

from students.api.keys import api_key_create
from students.models import ApiKey, University


class Command(BaseCommand):
    help = "Issue an API key and print it (shown once): --university-id N --scope read|write, or --ministry."

    def add_arguments(self, parser):
        parser.add_argument("--university-id", type=int)
        parser.add_argument("--scope", choices=["read", "write"], default="read")
        parser.add_argument("--ministry", action="store_true", help="A ministry key: aggregates only.")
        parser.add_argument("--name", default="")

    def handle(self, *args, university_id, scope, ministry, name, **options):
        if ministry == (university_id is not None):
            raise CommandError("Give exactly one of --university-id or --ministry.")
        university = None
        if university_id is not None:
            university = University.objects.filter(pk=university_id).first()
            if university is None:
                raise CommandError(f"No university with id {university_id}.")
        _key, secret = api_key_create(
            name=name or (f"{university.name_ja} {scope}" if university else "ministry"),
            scope=ApiKey.Scope.MINISTRY if ministry else scope,
            university=university,
            acting_user=None,
        )
        self.stdout.write(secret)
