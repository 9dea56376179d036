"""대화 찾기의 색인을 메시지 표에서 다시 짓는다.

색인은 쓸 때마다 DB가 맞춰 두지만(SQLite는 트리거, PostgreSQL은 색인 자체), 백업에서 표만 되살렸거나 손으로
고친 DB, SQLite에서 트리거가 사라진 뒤에는 어긋날 수 있다. 지우는 것은 색인뿐이고 메시지는 그대로다.
"""

from contextlib import nullcontext

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.management.arguments import OneLanguage
from chat import search_index


class Command(OneLanguage, BaseCommand):
    @property
    def help(self):
        # argparse는 설명을 str로만 받는다: 찍을 때의 언어로 번역한다 (OneLanguage)
        return _(
            "Rebuild the index that conversation search uses from the messages table "
            "(SQLite: FTS5 table and triggers; PostgreSQL: pg_trgm index). Messages are not "
            "changed."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database",
            default="default",
            help=gettext_lazy("database alias (default: default)"),
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=gettext_lazy("language of the answer (default: LANGUAGE_CODE)"),
        )

    def handle(self, *args, database="default", language=None, **options):
        with translation.override(language) if language else nullcontext():
            count = search_index.rebuild(connections[database])
            self.stdout.write(
                ngettext(
                    "Rebuilt the search index: %(count)d message.",
                    "Rebuilt the search index: %(count)d messages.",
                    count,
                )
                % {"count": count}
            )
