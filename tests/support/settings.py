"""테스트 설정: 실제 settings.py 위에 테스트에만 필요한 것만 덮는다."""

import os

# 개발자의 .env가 테스트를 흔들지 않게 하고, 비밀 키는 테스트 전용 값을 쓴다
os.environ["DJANGO_ENV_FILE"] = ""
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)

from chatproject.settings import *  # noqa: F403

# 해시는 느리게 설계된 것이라 테스트에서는 빠른 것으로 바꾼다 (실제 목록은 test_settings가 검사)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# collectstatic 없이 {% static %}가 동작하도록 (해시 저장소는 test_static이 따로 검사)
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True  # STATIC_ROOT 없이도 경고 없이 뜨도록

# 첨부 파일은 실행마다 새 임시 폴더에: 저장소 폴더(media/)를 더럽히지 않는다
import tempfile  # noqa: E402

STORAGES["attachments"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": tempfile.mkdtemp(prefix="daehwa-attachments-"), "base_url": None},
}

# 기본은 내장 데모 모델: 개발자나 CI의 환경 변수 때문에 테스트가 인터넷의 API를 부르는 일이 없게 한다.
# 가짜 OpenAI 서버가 필요한 테스트는 conftest의 llm_server 픽스처로 켠다.
OPENAI_API_KEY = ""
OPENAI_BASE_URL = ""
