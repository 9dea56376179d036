from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat")

    def ready(self):
        # 검색 색인의 점검(check --database)과, 마이그레이션 동안 SQLite 트리거를 걷었다가 다시 짓기
        from chat import search_index

        pre_migrate.connect(search_index.suspend_before_migrate, sender=self)
        post_migrate.connect(search_index.heal_after_migrate, sender=self)

        # 첨부의 행이 지워지는 길은 여럿이다 (대화 지우기, 정리 명령, 계정 지우기, 관리 화면의 CASCADE): 파일 지우기를
        # 그 길마다 쓰지 않고 행이 지워진 뒤 한곳에서 한다
        from chat.attachments import services as attachment_services
        from chat.attachments.models import Attachment

        post_delete.connect(
            lambda sender, instance, **kwargs: attachment_services.on_delete(instance),
            sender=Attachment,
            weak=False,
            dispatch_uid="attachment_files",
        )
