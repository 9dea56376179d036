"""가짜 OpenAI 서버 픽스처: 세션에 하나 띄우고 테스트마다 비워서 준다."""

import pytest

from tests.fake_openai import FakeOpenAI


@pytest.fixture(scope="session")
def fake_openai_server():
    """서버를 테스트마다 띄우면 느려서, 세션 동안 하나만 둔다."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def fake_openai(fake_openai_server):
    """앞 테스트의 각본과 요청 기록이 새지 않게 비운 서버."""
    fake_openai_server.reset()
    return fake_openai_server
