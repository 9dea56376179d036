"""공용 픽스처."""

import uuid

import pytest
from django.conf import settings as django_settings

from accounts.models import User

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """테스트마다 캐시 키 접두어를 새로 써서, 공유 Redis를 비우지 않고도 서로 섞이지 않게 한다."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in django_settings.CACHES.items()
    }


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    return User.objects.create_user(username="minji", password=PASSWORD)


@pytest.fixture
def english(client):
    """언어 선택기에서 English를 고른 사람."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
