"""관리 화면: 강사와 운영자가 대화를 찾아 읽고, 숨기고, 신고를 처리한다. 모든 열람과 조치는 감사 기록에 남는다."""

from chat.admin import conversations, links, records

__all__ = ["conversations", "links", "records"]
