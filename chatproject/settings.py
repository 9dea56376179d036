"""Daehwa 설정. 배포마다 달라지는 값은 모두 환경 변수(.env)에서 온다: .env.example 참고."""

import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def development_secret_key(path: Path) -> str:
    """DEBUG에서 비밀 키가 없을 때 쓸 키. 처음 만든 프로세스가 파일에 쓰고, 나머지는 그것을 읽는다.

    os.link는 이미 파일이 있으면 실패하므로, 워커 여럿이 동시에 떠도 키는 하나다.
    """
    if not path.exists():
        candidate = path.with_name(f"{path.name}.{os.getpid()}")
        candidate.touch(mode=0o600)
        candidate.write_text(secrets.token_urlsafe(50))
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text().strip()


env = environ.Env()
# DJANGO_ENV_FILE을 비우면 .env를 읽지 않는다 (테스트가 개발자의 .env에 흔들리지 않도록)
ENV_FILE = env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    environ.Env.read_env(ENV_FILE)


# ---------------------------------------------------------------- 핵심
DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: put a long random value in .env or the "
            "environment (make run writes one for you), or set DJANGO_DEBUG=true "
            "for local development."
        )
    # 개발 전용: 처음 뜬 워커가 만든 키를 모든 워커가 함께 쓴다 (워커마다 다르면 세션과 CSRF가 깨진다).
    # 운영에 새어 나갈 고정값은 없다: 키는 이 폴더에서 무작위로 만들어진다.
    SECRET_KEY = development_secret_key(
        Path(env.str("DJANGO_DEV_SECRET_KEY_FILE", default=str(BASE_DIR / ".dev-secret-key")))
    )

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS", default=["http://127.0.0.1:8000", "http://localhost:8000"]
)

SITE_NAME = env.str("SITE_NAME", default="Daehwa")
# open: 누구나 가입, closed: 강사가 관리 화면이나 명령으로만 계정을 만든다, invite: 반의 초대 코드가 있어야 가입,
# approval: 누구나 가입하지만 운영자나 반의 강사가 받아 줄 때까지 기다린다
SIGNUP_MODE = env.str("SIGNUP_MODE", default="open")
if SIGNUP_MODE not in {"open", "closed", "invite", "approval"}:
    raise ImproperlyConfigured("SIGNUP_MODE must be 'open', 'closed', 'invite' or 'approval'.")
# 반의 강사가 학생의 반 대화를 읽을 수 있나 (읽으면 감사 기록이 남고 학생에게 보인다). false면 통계만 본다
CLASS_INSTRUCTORS_CAN_READ = env.bool("CLASS_INSTRUCTORS_CAN_READ", default=True)
# 공유 링크(/share/<토큰>/)는 이 사이트에 로그인한 사람만 연다. true면 로그인하지 않은 누구나 (주소를 아는 사람)
SHARE_LINKS_PUBLIC = env.bool("SHARE_LINKS_PUBLIC", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # core는 두 앱 밑의 층이다: 감사 기록과 두 앱이 함께 쓰는 도구
    "core",
    "accounts",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # 화면(HTML)을 압축한다. 스트림(SSE)은 건너뛴다. 정적 파일은 그 전에 WhiteNoise가 압축본으로 답했다
    "core.compression.PageGZipMiddleware",
    # whitenoise 안쪽: 바깥은 whitenoise가 동기 전용이라 스레드에서 돌아 요청 번호가 스트림까지 이어지지 않는다.
    # 여기부터는 비동기로 돌아, 이 요청(스트림 포함)에서 나오는 로그 줄이 같은 번호를 단다.
    "core.request_log.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.KoreanFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # create_users가 비밀번호를 지어 준 사람은 먼저 자기 비밀번호를 정한다
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    # SIGNUP_MODE=approval로 가입해 승인을 기다리는 사람은 기다리는 화면만 본다
    "accounts.middleware.ApprovalRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "chatproject.urls"
WSGI_APPLICATION = "chatproject.wsgi.application"
ASGI_APPLICATION = "chatproject.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chatproject.context_processors.site",
            ],
        },
    },
]


# ---------------------------------------------------------------- 데이터베이스
# 기본은 프로젝트 폴더의 SQLite. PostgreSQL은 DATABASE_URL=postgres://… 로.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL은 읽기와 쓰기를 동시에 허용하고, IMMEDIATE 트랜잭션은 쓰기 잠금을 처음부터 잡아
    # 동시 작성자가 "database is locked" 대신 timeout(초) 동안 차례를 기다리게 한다.
    # busy_timeout pragma는 두지 않는다: timeout을 덮어써 더 짧게 기다리게 했다.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # 요청 스레드는 다시 쓰인다(chatproject/asgi.py): 파일을 열고 pragma를 다시 거는 값을 요청마다 치르지 않게
    # 연결을 스레드에 둔다. 서버가 없는 SQLite라 열린 연결이 쌓여도 잃을 것이 없다.
    DATABASES["default"]["CONN_MAX_AGE"] = None
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django의 psycopg 3 연결 풀. URL의 ?pool=true는 먹지 않아서 여기서 켠다.
    # 풀을 쓰면 CONN_MAX_AGE는 0이어야 한다.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    from psycopg_pool import ConnectionPool

    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        # 빌려줄 때 빈 질의 하나로 살아 있는지 본다: PostgreSQL이 다시 시작하거나 연결이 끊긴 뒤, 풀에 남은 죽은
        # 연결마다 요청 하나가 503을 받는 대신 새 연결을 받는다 (chat.faults 시험)
        "check": ConnectionPool.check_connection,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# ---------------------------------------------------------------- 캐시와 세션
# 제한 카운터(메시지, 로그인 실패, 가입)가 캐시에 있으므로 모든 워커와 호스트가 같은 캐시를 봐야 한다.
# Redis가 권장이고, 없으면 DB 캐시(표는 migrate가 만든다): 프로세스마다 따로인 메모리 캐시는 쓰지 않는다.
REDIS_URL = env.str("REDIS_URL", default="")
# 사이트 여럿이 Redis 하나를 나눠 쓰면 사이트마다 다르게: 사용자 번호가 같아도 카운터가 섞이지 않는다
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="daehwa")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedDatabaseCache",
            "LOCATION": "daehwa_cache",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # 기본 300개를 넘으면 Django가 살아 있는 카운터까지 지운다. 살아 있는 카운터는 몇백 개라 넉넉하고,
            # 이 수를 넘을 때 만료된 것을 지우므로 쓸 때마다 세는 COUNT(*)가 작게 유지된다.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# 세션은 DB에 쓰고, 읽기는 캐시에서 먼저 한다(cached_db): 요청마다 하던 세션 질의가 빠진다.
# Redis가 있으면 Redis에서. SQLite뿐이면 프로세스의 메모리에서: SQLite 파일은 한 기계의 것이고 Redis 없이는
# 워커가 하나라(chatproject/gunicorn.py), 로그아웃으로 지운 세션이 다른 프로세스의 메모리에 남을 일이 없다.
# Redis 없는 PostgreSQL은 여러 호스트일 수 있어 DB에서 읽는다.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
if REDIS_URL:
    SESSION_CACHE_ALIAS = "default"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    SESSION_CACHE_ALIAS = "sessions"
    CACHES["sessions"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "daehwa-sessions",
        # 한 반 몇백 명의 세션이 모두 들어가게 (기본 300개)
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
else:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# 알림 메시지는 세션에: 요청마다 쿠키 서명기를 만드는 값이 들지 않는다 (세션은 어차피 읽는다)
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# "로그인 유지"를 고르면 2주, 아니면 브라우저를 닫을 때 끝난다 (accounts.views.account.LoginView)
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"


# ---------------------------------------------------------------- 인증
AUTH_USER_MODEL = "accounts.User"
# 로그인은 앞의 것이 맡는다 (틀리면 거기서 멈춘다). ModelBackend는 이 백엔드 전에 로그인한 세션이 끊기지 않게
# 남겨 둔다: 세션은 로그인한 백엔드의 경로를 기억하고, 목록에 없는 경로의 세션은 로그아웃된다.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.UserBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"

# 첫 줄이 새 비밀번호를 해시한다. Django 기본 Argon2는 로그인 한 번에 메모리 100 MiB를 써서
# 작은 서버에서 수업 시작 때 로그인이 몰리면 메모리가 바닥난다. OWASP 최소 권장값(19 MiB)으로 줄인다.
PASSWORD_HASHERS = [
    "accounts.hashers.SmallServerArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# 아이디별 실패 한도는 작게, 주소별 한도는 크게: 한 교실이 공인 IP 하나를 나눠 쓰기 때문이다.
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=50)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
# 한 주소에서 한 시간에 만들 수 있는 계정 (0이면 제한 없음). 한 교실이 공인 IP 하나로 함께 가입해도 되게.
SIGNUP_PER_ADDRESS_PER_HOUR = env.int("SIGNUP_PER_ADDRESS_PER_HOUR", default=60)
# 한 주소가 LOGIN_FAILURE_WINDOW_SECONDS 안에 틀릴 수 있는 반 초대 코드 수: 코드를 맞혀 보지 못하게
CLASS_CODE_FAILURES_PER_ADDRESS = env.int("CLASS_CODE_FAILURES_PER_ADDRESS", default=20)


# ---------------------------------------------------------------- LLM과 채팅
# 키도 주소도 없으면 내장 데모 모델이 답한다 (chat/llm.py). Ollama·vLLM 등은 주소만 있으면 된다.
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
# 화면에서 고를 수 있는 모델. 기본 모델은 늘 맨 앞에 있다. auto면 서버의 /v1/models에서 읽는다 (chat.llm).
_models = env.list("OPENAI_MODELS", default=[])
OPENAI_MODELS_AUTO = _models == ["auto"]
OPENAI_MODELS = [OPENAI_MODEL] + [
    name for name in ([] if OPENAI_MODELS_AUTO else _models) if name != OPENAI_MODEL
]
# auto일 때 서버의 모델 목록을 다시 읽는 간격(초)
OPENAI_MODELS_REFRESH_SECONDS = env.int("OPENAI_MODELS_REFRESH_SECONDS", default=300)
# 한 요청을 기다리는 초. 스트리밍에서는 조각과 조각 사이의 최대 간격이기도 하다.
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", default=60.0)
# 첫 조각 전의 실패(429, 5xx, 연결)만 SDK가 지수 백오프로 다시 시도한다
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", default=2)
# 모델의 문맥 창과 답변에 남겨 둘 몫. 요청에는 시스템 프롬프트와 들어가는 만큼의 최근 메시지가 실린다.
LLM_CONTEXT_TOKENS = env.int("LLM_CONTEXT_TOKENS", default=8192)
LLM_REPLY_TOKENS = env.int("LLM_REPLY_TOKENS", default=1024)
if not 0 < LLM_REPLY_TOKENS < LLM_CONTEXT_TOKENS:
    raise ImproperlyConfigured(
        "LLM_REPLY_TOKENS must be positive and smaller than LLM_CONTEXT_TOKENS."
    )
MAX_MESSAGE_CHARS = env.int("MAX_MESSAGE_CHARS", default=8000)
# 정상 종료(SIGTERM) 때 도는 답변이 끝나기를 기다리는 초. 넘으면 중단으로 저장한다.
# gunicorn의 graceful timeout(chatproject/gunicorn.py)보다 짧아야 저장할 틈이 남는다.
REPLY_SHUTDOWN_SECONDS = env.float("REPLY_SHUTDOWN_SECONDS", default=20.0)
# 서명한 표가 붙은 답변 스트림을 Django의 요청 처리 없이 chat.streams.serve가 받는다 (chatproject/asgi.py).
# false면 모든 스트림이 Django의 ReplyStreamView로 간다: Django나 asgiref를 올린 뒤 그 길이 의심스러울 때 끈다
# (docs/architecture.md "Django와 SDK를 비켜 가는 곳"). 끄면 스트림 하나에 미들웨어와 요청 스레드 값을 더 치른다.
STREAM_FAST_PATH = env.bool("STREAM_FAST_PATH", default=True)
# 한 사람이 1분에 보낼 수 있는 메시지 (다시 시도 포함). 캐시로 세므로 워커 사이에 공유하려면 Redis.
RATE_LIMIT_MESSAGES_PER_MINUTE = env.int("RATE_LIMIT_MESSAGES_PER_MINUTE", default=10)
# 한 사람이 하루(TIME_ZONE의 자정부터)에 쓸 수 있는 토큰 (질문과 답변 합). 0이면 제한 없음.
# 사람마다 관리 화면에서 따로 정할 수 있다 (accounts.User.daily_token_quota).
DAILY_TOKEN_QUOTA = env.int("DAILY_TOKEN_QUOTA", default=0)
if DAILY_TOKEN_QUOTA < 0:
    raise ImproperlyConfigured("DAILY_TOKEN_QUOTA must be 0 (no limit) or a positive number.")


# ---------------------------------------------------------------- 국제화
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# 고른 언어는 브라우저를 닫아도 1년간 유지된다
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Seoul")
USE_I18N = True
USE_TZ = True
# 날짜·시각은 한 가족: "2026년 12월 6일 오후 3:05" (core/formats)
FORMAT_MODULE_PATH = ["core.formats"]


# ---------------------------------------------------------------- 정적 파일
STATIC_URL = "static/"
# collectstatic이 모으는 곳. 웹 서버가 직접 내보낸다면 그 경로로.
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# 해시가 붙은 파일 이름 + 압축본: whitenoise가 1년짜리 immutable 캐시로 내보낸다
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


# ---------------------------------------------------------------- 첨부 파일
# 첨부는 웹 서버가 직접 내보내지 않는다: 주인 규칙을 거치는 뷰(chat.views.attachments)만 읽는다.
# local이면 이 서버의 디스크, s3면 S3 호환 저장소 (여러 호스트가 나눠 쓴다. django-storages와 boto3가 필요하다:
# requirements-s3.txt).
ATTACHMENT_STORAGE = env.str("ATTACHMENT_STORAGE", default="local")
if ATTACHMENT_STORAGE == "local":
    STORAGES["attachments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.str("ATTACHMENT_ROOT", default="")
            or BASE_DIR / "media" / "attachments",
            # URL로 내보내지 않는다
            "base_url": None,
        },
    }
elif ATTACHMENT_STORAGE == "s3":
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("ATTACHMENT_S3_BUCKET"),
            # 비우면 AWS. MinIO·Ceph·R2 등은 그 주소
            "endpoint_url": env.str("ATTACHMENT_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("ATTACHMENT_S3_REGION", default="") or None,
            "access_key": env.str("ATTACHMENT_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("ATTACHMENT_S3_SECRET_KEY", default="") or None,
            # 파일은 늘 이 서버가 주인 규칙을 거쳐 내보낸다: 공개 URL도, 서명한 URL도 만들지 않는다
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured("ATTACHMENT_STORAGE must be local or s3.")
# 파일 하나, 메시지 하나(모든 파일 합), 한 사람이 쌓아 둘 수 있는 크기 (MB). 메시지당 파일 수.
ATTACHMENT_MAX_FILE_MB = env.int("ATTACHMENT_MAX_FILE_MB", default=10)
ATTACHMENT_MAX_MESSAGE_MB = env.int("ATTACHMENT_MAX_MESSAGE_MB", default=20)
ATTACHMENT_MAX_FILES = env.int("ATTACHMENT_MAX_FILES", default=5)
ATTACHMENT_USER_STORAGE_MB = env.int("ATTACHMENT_USER_STORAGE_MB", default=200)
# 파일 하나에서 꺼내 두는 글자 수, 한 메시지의 파일들이 나눠 쓰는 꺼내기 시간(초), 꺼내기 하나의 메모리(MB):
# 넘으면 자르거나 거절한다
ATTACHMENT_TEXT_CHARS = env.int("ATTACHMENT_TEXT_CHARS", default=200_000)
ATTACHMENT_EXTRACT_SECONDS = env.float("ATTACHMENT_EXTRACT_SECONDS", default=20.0)
ATTACHMENT_EXTRACT_MEMORY_MB = env.int("ATTACHMENT_EXTRACT_MEMORY_MB", default=512)
# 그림을 읽는 모델 (쉼표로). 여기 없는 모델에 그림을 보내면 보내기 전에 거절한다. 끝이 *면 앞부분이 같은 모든 모델.
LLM_VISION_MODELS = env.list("LLM_VISION_MODELS", default=[])
# 받는 동안 파일 하나의 한도를 센다 (넘으면 끝까지 받지 않는다). 작은 파일은 메모리, 큰 것은 임시 파일 (Django 기본)
FILE_UPLOAD_HANDLERS = [
    "chat.attachments.uploads.SizeGuardUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG


# ---------------------------------------------------------------- 보안
# 스크립트와 스타일은 우리 서버의 파일이거나 요청마다 바뀌는 nonce가 붙은 것만. 인라인은 없다.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# TLS를 끝내는 프록시 뒤에서만 켠다. 프록시는 X-Forwarded-Proto를 넘겨야 한다.
SECURE = env.bool("DJANGO_SECURE", default=False)
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # 로드 밸런서는 앱의 포트를 평문 HTTP로 점검한다: 상태 점검은 HTTPS로 돌려보내지 않는다
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # 브라우저의 preload 목록은 빠져나오는 데 몇 달이 걸린다: 도메인 주인이 알고 켤 때만
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # check --deploy의 "preload를 켜라" 경고: 일부러 끈 것이다
        SILENCED_SYSTEM_CHECKS = ["security.W021"]


# ---------------------------------------------------------------- 로깅
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "core.request_log.RequestContextFilter"},
        "refused_requests": {"()": "core.request_log.RefusedRequestFilter"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [request=%(request_id)s user=%(user_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_context", "refused_requests"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django의 기본 "django" 처리기(DEBUG에서 콘솔)를 떼어, 모든 줄이 위의 필터와 형식을 한 번만 거치게
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        # SDK의 HTTP 클라이언트는 요청마다 INFO 한 줄을 남긴다: 실패는 chat.llm이 종류와 함께 기록한다
        "httpx2": {"level": "WARNING"},
    },
}
