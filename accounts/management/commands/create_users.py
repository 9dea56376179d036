"""반 하나의 계정 만들기.

200명이 수업 첫 시간에 한꺼번에 가입하면 가입 한도와 오타에 시간을 다 쓴다. 강사가 명단 CSV(username,
email·password는 선택)로 미리 만든다. 모든 줄을 먼저 검사하고 하나라도 틀리면 줄 번호와 함께 알리고 아무것도
만들지 않는다. 비밀번호가 빈 줄은 지어 주어 --output 파일에만 쓰고(화면과 로그에는 쓰지 않는다), 그 사람은
첫 로그인에서 자기 비밀번호를 정해야 채팅할 수 있다.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts import cohort


class Command(BaseCommand):
    help = (
        "Create accounts from a CSV file with a 'username' column and optional 'email' and "
        "'password' columns. Every row is checked first; nothing is created unless all are valid."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            metavar="FILE.csv",
            help="UTF-8 CSV with a header line: username[,email][,password]",
        )
        parser.add_argument(
            "--output",
            metavar="FILE.csv",
            help="new file (never overwritten, readable only by you) that receives the generated "
            "passwords of rows without one; required when such rows exist",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check every row and report, without creating anyone or writing --output",
        )

    def handle(self, *args, file, output=None, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file at {file}.")
        target = Path(output) if output else None
        if target is not None and target.exists():
            raise CommandError(f"{output} already exists; choose a new file for the passwords.")
        try:
            rows = cohort.read_rows(path)
            generated = sum(row.generated for row in rows)
            if dry_run:
                self.stdout.write(
                    f"Would create {len(rows)} users, {generated} with a generated password."
                )
                return
            created = cohort.users_create(rows=rows, output=target)
        except cohort.CohortFileError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(f"{file}: nothing was created.") from None
        except OSError as error:
            raise CommandError(
                f"Cannot write {output}: {error.strerror}. Nobody was created."
            ) from None
        where = f"; their passwords are in {output}" if generated else ""
        self.stdout.write(f"Created {created} users, {generated} with a generated password{where}.")
