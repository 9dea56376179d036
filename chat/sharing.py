"""공유 링크: 대화의 지금 갈래를 사본으로 떠서 읽기 전용 주소로 보인다. 만들기와 거두기는 감사 기록에 남는다."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat import tree
from chat.attachments import services as attachment_services
from chat.attachments.models import Attachment
from chat.models import Conversation, Message, SharedLink
from core.audit import Action, audit_record


def snapshot(conversation: Conversation) -> list[dict]:
    """지금 갈래의 끝난 메시지들, 옛것부터 (chat.tree.path): 다른 갈래는 담지 않는다.

    쓰이는 중인 답변은 빼고, 그려 둔 HTML을 그대로 옮긴다 (nh3로 거른 것): 링크를 열 때 다시 그리지 않고,
    렌더러가 바뀌어도 공유한 때의 모습이 남는다. 첨부 파일은 이름과 종류, 크기만 옮긴다: 파일은 주인의 것이다.
    """
    messages = [message for message in tree.path(conversation) if not message.is_active]
    attachment_services.prefetch(messages)
    return [
        {
            "role": message.role,
            "content": message.content,
            "rendered_html": message.rendered_html,
            "model": message.model,
            "status": message.status,
            "created_at": message.created_at.isoformat(),
            "files": [
                {"name": item.name, "kind": item.kind, "size": item.size}
                for item in message.attachment_list
            ],
        }
        for message in messages
    ]


# 대화 하나에 살아 있는 링크의 수. 링크마다 갈래 전체의 사본이라, 단추를 거듭 누르는 것만으로 DB가 커지지 않게
# (거둔 링크는 사본을 비운다: shared_link_revoke)
SHARE_LINKS_LIVE_MAX = 20


class ShareRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def shared_link_create(*, conversation: Conversation, user, request=None) -> SharedLink:
    """지금 갈래의 사본으로 새 링크를 만든다. 링크마다 제 사본이다: 뒤에 만든 링크는 뒤의 대화를 보인다.

    살아 있는 링크가 SHARE_LINKS_LIVE_MAX개면 ShareRefused: 하나를 거둬야 새로 만든다. 대화 행을 잠그고 센다:
    두 탭이 함께 눌러도 한도를 넘지 않게.
    """
    copy = snapshot(conversation)
    with transaction.atomic():
        list(Conversation.objects.select_for_update().filter(pk=conversation.pk).values("pk"))
        if conversation.shared_links.live().count() >= SHARE_LINKS_LIVE_MAX:
            raise ShareRefused(
                _(
                    "This conversation already has %(count)s share links. Revoke one you no longer need to make another."
                )
                % {"count": SHARE_LINKS_LIVE_MAX}
            )
        link = SharedLink.objects.create(
            conversation=conversation,
            created_by=user,
            title=conversation.title,
            snapshot=copy,
        )
        audit_record(
            actor=user,
            action=Action.SHARE_CREATED,
            target=conversation,
            payload={"link": link.pk, "messages": len(link.snapshot)},
            request=request,
        )
    return link


def shared_link_revoke(*, link: SharedLink, user, request=None) -> bool:
    """링크를 거둔다: 그 주소는 없는 링크처럼 404가 된다. 이미 거둔 것이면 아무것도 쓰지 않는다.

    사본은 비운다: 다시 열리지 않으니 둘 까닭이 없고, 만들고 거두기를 되풀이해도 DB가 커지지 않는다.
    """
    with transaction.atomic():
        now = timezone.now()
        changed = SharedLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=now, snapshot=[]
        )
        if not changed:
            return False
        link.revoked_at = now
        audit_record(
            actor=user,
            action=Action.SHARE_REVOKED,
            target=link.conversation,
            payload={"link": link.pk},
            request=request,
        )
    return True


class SharedMessage:
    """사본의 메시지 한 줄: 템플릿이 Message처럼 묻는 것(is_user, 역할 이름, 시각)을 준다."""

    def __init__(self, record: dict):
        self.role = record["role"]
        self.content = record["content"]
        self.rendered_html = record["rendered_html"]
        self.model = record["model"]
        self.created_at = datetime.datetime.fromisoformat(record["created_at"])
        self.is_user = self.role == Message.Role.USER
        self.role_display = Message.Role(self.role).label
        self.is_done = record["status"] == Message.Status.DONE
        # 첨부는 이름만 보인다 (공유 전의 사본에는 files가 없다)
        self.attachment_list = [SharedFile(**item) for item in record.get("files", [])]
        self.has_attachments = bool(self.attachment_list)


class SharedFile:
    """공유한 메시지의 파일: 말풍선 조각(chat/includes/attachments.html)이 이름만 그린다."""

    is_missing = True
    missing_note = _("Only the name is shared")

    def __init__(self, *, name: str, kind: str, size: int):
        self.name = name
        self.kind = kind
        self.size = size

    def get_kind_display(self):
        return Attachment.Kind(self.kind).label


def shared_messages(link: SharedLink) -> list[SharedMessage]:
    return [SharedMessage(record) for record in link.snapshot]
