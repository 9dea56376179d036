"""core 앱 설정: 두 앱이 함께 쓰는 캐시 표를 migrate 때 준비한다."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    # 관리 화면에서 감사 기록이 놓이는 묶음의 이름
    verbose_name = _("Records")

    def ready(self):
        # 메시지·로그인·가입 제한 카운터가 사는 캐시 표: migrate 한 번으로 준비되게
        from core.cache import create_cache_table

        post_migrate.connect(create_cache_table, sender=self)
