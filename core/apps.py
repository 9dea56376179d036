"""core 앱 설정."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    # 관리 화면에서 감사 기록이 놓이는 묶음의 이름
    verbose_name = _("Records")
