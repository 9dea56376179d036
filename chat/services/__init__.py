"""대화와 메시지를 바꾸는 동작 (HackSoft 스타일의 서비스): 뷰는 `from chat import services`로 이 이름들만 부른다.

- rules: 거절의 코드와 문장, 보내기 전의 확인 (빠르기, 한도, 반, 그림), 대화의 잠금
- sending: 보내기, 다시 생성, 고쳐 보내기, 갈래 바꾸기, 멈추기
- organize: 이름, 지시, 모델, 고정, 보관, 지우기, 공지 닫기
"""

from chat.services.organize import (
    announcement_dismiss,
    conversation_archive,
    conversation_configure,
    conversation_delete,
    conversation_model_choose,
    conversation_pin,
    conversation_rename,
)
from chat.services.rules import ChatRefused, RefusalCode
from chat.services.sending import (
    SentPair,
    branch_switch,
    conversation_start,
    message_edit,
    message_post,
    reply_regenerate,
    reply_stop,
)

__all__ = [
    "ChatRefused",
    "RefusalCode",
    "SentPair",
    "announcement_dismiss",
    "branch_switch",
    "conversation_archive",
    "conversation_configure",
    "conversation_delete",
    "conversation_model_choose",
    "conversation_pin",
    "conversation_rename",
    "conversation_start",
    "message_edit",
    "message_post",
    "reply_regenerate",
    "reply_stop",
]
