"""강사에게 관리 역할을 준다.

강사는 슈퍼유저가 아니어도 관리 화면에서 학생의 대화를 읽고, 숨기고, 신고를 처리해야 한다. 이 명령은 그 사람을
staff로 만들고 "Moderators" 모둠에 넣는다 (권한은 마이그레이션 0004가 정한다). --remove는 역할을 거둔다.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

GROUP = "Moderators"


class Command(BaseCommand):
    help = 'Put a user in the "Moderators" group (and make them staff), or take them out.'

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--remove", action="store_true", help="take the role away (and staff, if not superuser)"
        )

    def handle(self, *args, username, remove=False, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        try:
            group = Group.objects.get(name=GROUP)
        except Group.DoesNotExist:
            raise CommandError(f'The "{GROUP}" group is missing: run manage.py migrate.') from None
        with transaction.atomic():
            if remove:
                user.groups.remove(group)
                if not user.is_superuser:
                    user.is_staff = False
                    user.save(update_fields=["is_staff"])
                self.stdout.write(f"{user.username} is no longer a moderator.")
            else:
                user.groups.add(group)
                user.is_staff = True
                user.save(update_fields=["is_staff"])
                self.stdout.write(
                    f"{user.username} is a moderator now: they can log in at /admin/."
                )
