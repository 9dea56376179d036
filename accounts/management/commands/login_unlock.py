"""로그인과 가입 제한 해제.

수업 중 학생이 비밀번호를 여러 번 틀려 잠기거나, 한 교실이 공인 IP 하나로 함께 가입하다 가입 한도에 닿으면
강사가 창이 끝나기를 기다리거나 서버를 다시 띄우지 않고 풀어 줄 수 있게 한다.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = (
        "Clear failed log-in counts for a username, and/or the failed log-in and sign-up counts "
        "of a client address."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="username to unlock")
        parser.add_argument(
            "--address",
            help="client IP address to unlock for log-in and sign-up, e.g. a classroom's",
        )

    def handle(self, *args, username=None, address=None, **options):
        if not username and not address:
            raise CommandError("Give a username, --address, or both.")
        if username:
            services.login_failures_reset(username=username)
            self.stdout.write(f"Unlocked username {username}.")
        if address:
            services.address_reset(address=address)
            self.stdout.write(f"Unlocked address {address}.")
