"""로그인한 사람을 요청마다 찾는 인증 백엔드: Django의 ModelBackend와 같고, 찾기만 SQL을 직접 쓴다."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts.models import User
from core import rows


class UserBackend(ModelBackend):
    """요청마다 세션의 사람을 읽는 일은 모든 화면과 스트림이 치르는 값이라 core.rows로 읽는다.

    ModelBackend의 User.objects.get(pk=)은 질의를 짓는 값이 읽는 값보다 컸다
    (docs/architecture.md "Django와 SDK를 비켜 가는 곳" 6).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            # 틀린 비밀번호: 뒤에 남겨 둔 ModelBackend가 같은 해시를 또 계산하지 않게 여기서 멈춘다
            # (settings의 AUTHENTICATION_BACKENDS)
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        try:
            user = rows.get(User, {"pk": user_id})
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None
