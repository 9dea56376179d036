"""관리 화면: 강사와 운영자가 대화를 찾아 읽고, 숨기고, 신고를 처리한다. 모든 열람과 조치는 감사 기록에 남는다."""

from django.utils.translation import gettext_noop

from chat.admin import conversations, records

__all__ = ["conversations", "records"]

# Django 6.1의 빈 선택지(관리 화면의 동작 고르기)에는 한국어 번역이 없어 우리 번역에 싣는다.
# 코드에 적어 두어야 make messages가 이 번역을 쓰지 않는 것으로 치워 버리지 않는다.
gettext_noop("- Select an option -")
