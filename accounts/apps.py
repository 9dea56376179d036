from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        # 계정 메뉴의 "반" 고리: 로그인 때 한 번 세어 세션에 둔다 (채팅 화면마다 세지 않게).
        # 로그인이 어차피 세션을 저장하므로 쓰기가 늘지 않는다
        user_logged_in.connect(_remember_sees_classes, dispatch_uid="accounts.sees_classes")


def _remember_sees_classes(sender, request, user, **kwargs):
    from accounts.classes import remember_sees_classes  # 앱이 준비된 뒤에야 모델을 가져올 수 있다

    if request is not None and hasattr(request, "session"):
        remember_sees_classes(request=request, user=user)
