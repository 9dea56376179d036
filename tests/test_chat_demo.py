"""오프라인 데모 모델의 답: 읽는 사람은 학생이라 서버 설정(.env, API 키)을 말하지 않는다."""

import pytest
from django.utils import translation

from chat import demo


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_demo_reply_never_tells_a_student_to_edit_server_settings(language):
    with translation.override(language):
        text = demo.reply_text([{"role": "user", "content": "모델을 바꾸려면?"}])

    assert ".env" not in text
    assert "OPENAI_API_KEY" not in text
    assert "OPENAI_BASE_URL" not in text
    assert "restart" not in text.lower()


def test_the_demo_reply_still_says_a_real_model_can_be_connected():
    with translation.override("ko"):
        text = demo.reply_text([{"role": "user", "content": "안녕"}])

    assert "실제 모델을 연결하면" in text
