from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat")

    def ready(self):
        # 검색 색인의 점검(check --database)과, 마이그레이션 동안 SQLite 트리거를 걷었다가 다시 짓기
        from chat import search_index

        pre_migrate.connect(search_index.suspend_before_migrate, sender=self)
        post_migrate.connect(search_index.heal_after_migrate, sender=self)
