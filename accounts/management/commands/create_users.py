"""반 하나의 계정 만들기.

200명이 수업 첫 시간에 한꺼번에 가입하면 가입 한도와 오타에 시간을 다 쓴다. 강사가 명단 CSV(아이디, 이름,
이메일·비밀번호는 선택)로 미리 만든다. 명단은 대개 한국어 Excel에서 나오므로 CP949와 UTF-8, 쉼표·세미콜론·탭을
모두 읽는다. 모든 줄을 먼저 검사하고 하나라도 틀리면 줄 번호와 함께 알리고 아무것도 만들지 않는다. 비밀번호가
빈 줄은 지어 주어 --output 파일에만 쓰고(화면과 로그에는 쓰지 않는다), 그 사람은 첫 로그인에서 자기 비밀번호를
정해야 채팅할 수 있다. --class를 주면 만든 사람들이 같은 트랜잭션에서 그 반에 든다 (초대 코드 없이).
답은 한 언어로: LANGUAGE_CODE, 또는 --language.
"""

from contextlib import nullcontext
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import cohort
from accounts.management.arguments import OneLanguage


class Command(OneLanguage, BaseCommand):
    @property
    def help(self):
        # argparse는 설명을 str로만 받는다: 게으른 번역 대신 찍을 때의 언어로 번역한다
        return _(
            "Create accounts from a CSV file (as Excel saves it) with a 'username' or 'name' "
            "column and optional 'email' and 'password' columns. Every row is checked first; "
            "nothing is created unless all are valid."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            metavar="FILE.csv",
            help=gettext_lazy(
                "CSV with a header line: username, name (이름, 성명), email, password; UTF-8 or "
                "CP949, separated by commas, semicolons or tabs"
            ),
        )
        parser.add_argument(
            "--output",
            metavar="FILE.csv",
            help=gettext_lazy(
                "new file (never overwritten, readable only by you) that receives the generated "
                "passwords of rows without one; required when such rows exist"
            ),
        )
        parser.add_argument(
            "--romanize",
            action="store_true",
            help=gettext_lazy(
                "make a romanized username (김민수 → kimminsu) for rows whose username is empty "
                "or Hangul, from the Hangul username or the name"
            ),
        )
        parser.add_argument(
            "--class",
            dest="course",
            metavar="ID_OR_NAME",
            help=gettext_lazy(
                "put every created user into this class (its number, or its exact name)"
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=gettext_lazy(
                "check every row and report, without creating anyone or writing --output"
            ),
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=gettext_lazy("language of the messages (default: LANGUAGE_CODE)"),
        )

    def handle(self, *args, language=None, **options):
        with translation.override(language) if language else nullcontext():
            self._create(**options)

    def _create(self, *, file, output=None, dry_run=False, romanize=False, course=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("There is no file at %(path)s.") % {"path": file})
        if course is not None:
            try:
                course = cohort.course_find(course)
            except cohort.CohortFileError as error:
                raise CommandError(error.problems[0]) from None
        target = Path(output) if output else None
        if target is not None and target.exists():
            raise CommandError(
                _("%(path)s already exists; choose a new file for the passwords.")
                % {"path": output}
            )
        try:
            rows = cohort.read_rows(path, make_usernames=romanize)
            generated = sum(row.generated for row in rows)
            for row in rows:
                if row.romanized:
                    self.stdout.write(f"{row.name or row.line} → {row.username}")
            if dry_run:
                self.stdout.write(
                    ngettext(
                        "Would create %(count)d user, %(generated)d with a generated password.",
                        "Would create %(count)d users, %(generated)d with a generated password.",
                        len(rows),
                    )
                    % {"count": len(rows), "generated": generated}
                )
                return
            created = cohort.users_create(rows=rows, output=target, course=course)
        except cohort.CohortFileError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(_("%(path)s: nothing was created.") % {"path": file}) from None
        except OSError as error:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s. Nobody was created.")
                % {"path": output, "error": error.strerror}
            ) from None
        done = ngettext(
            "Created %(count)d user, %(generated)d with a generated password.",
            "Created %(count)d users, %(generated)d with a generated password.",
            created,
        ) % {"count": created, "generated": generated}
        if generated:
            done += " " + _("Their passwords are in %(path)s.") % {"path": output}
        if course is not None:
            done += " " + ngettext(
                "%(count)d joined the class “%(name)s”.",
                "%(count)d joined the class “%(name)s”.",
                created,
            ) % {"count": created, "name": course.name}
        self.stdout.write(done)
