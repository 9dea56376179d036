"""대화 가져오기.

학생이 ChatGPT에서 하던 대화를 이어 가거나, export_conversations로 내보낸 대화를 다른 사람이나 다른 서버로
옮길 때 쓴다. 우리 JSON Lines와 ChatGPT 데이터 내보내기의 conversations.json을 읽는다 (첫 글자로 가린다).
파일 전체를 먼저 검사해서 틀린 곳이 있으면 그 줄(또는 몇 번째 대화)을 말하고 아무것도 쓰지 않는다.
DB가 거절할 값(넘치는 수, 시각, 저장할 수 없는 글자)도 이 검사에서 거른다. 쓰기는 파일 전체가 한 트랜잭션이라
도중에 실패해도 일부만 남지 않는다. 이미 가져온 대화는 건너뛰어 같은 파일을 다시 돌려도 두 번 생기지 않는다.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.management.arguments import find_user
from chat import llm
from chat.transfer import importer


class Command(BaseCommand):
    help = (
        "Import conversations into one user's account from our JSON Lines export or from a "
        "ChatGPT data export (conversations.json). Nothing is written if any part of the file is "
        "malformed, and conversations already imported are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            metavar="FILE",
            help="a .jsonl file from export_conversations, or conversations.json from ChatGPT",
        )
        parser.add_argument(
            "--user", metavar="NAME", required=True, help="the user who will own the conversations"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and count what would be imported, without writing anything",
        )

    def handle(self, *args, file, user, dry_run=False, **options):
        owner = find_user(user)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file at {file}.")
        try:
            count = importer.validate_file(path, user=owner)
            if not dry_run:
                count = importer.import_file(path, user=owner, default_model=llm.default_model())
        except importer.ImportFileError as error:
            raise CommandError(f"{file}: {error}. Nothing was imported.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text. Nothing was imported.") from None
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {count.conversations} conversations with {count.messages} messages "
            f"for {owner.username}; {count.skipped} already there."
        )
