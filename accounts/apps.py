from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # 메시지·로그인·가입 제한 카운터가 사는 캐시 표: migrate 한 번으로 준비되게
        from chatproject.cache import create_cache_table

        post_migrate.connect(create_cache_table, sender=self)
