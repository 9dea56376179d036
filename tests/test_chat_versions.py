"""버전 나무: 다시 생성, 고쳐 보내기, "‹ 2 / 3 ›"로 갈래 바꾸기. 모델이 받는 것은 지금 갈래뿐이다."""

import json
import re

import pytest

from chat import tree
from chat.models import Conversation, Message, Report
from chat.services import conversation_start, message_post
from tests.support.factories import STAFF_PASSWORD, make_conversation
from tests.support.fake_openai import Reply
from tests.support.sse import finish_reply

HTMX = {"HX-Request": "true"}


def answered(user, *questions):
    """질문마다 끝난 답변이 달린 대화 (진짜 생성으로). 마지막 답변을 돌려준다."""
    reply = conversation_start(user=user, content=questions[0], model="fake-model")
    finish_reply(reply)
    for question in questions[1:]:
        reply = message_post(conversation=reply.conversation, user=user, content=question).reply
        finish_reply(reply)
    return Message.objects.select_related("conversation").get(pk=reply.pk)


def current(conversation):
    conversation.refresh_from_db()
    return [(message.role, message.content) for message in tree.path(conversation)]


def sent_prompts(llm_server):
    """가짜 서버가 받은 답변 요청들의 messages (제목 요청은 빼고)."""
    return [body["messages"] for body in llm_server.requests if body.get("stream")]


def test_regenerate_three_times_keeps_every_version_and_shows_the_count(
    logged_in, user, llm_server
):
    llm_server.script(*(Reply(tokens=[f"답 {n}"]) for n in range(1, 5)))
    first = answered(user, "질문")

    for _ in range(3):
        logged_in.post(f"/chat/replies/{first.pk}/regenerate/", headers=HTMX)
        finish_reply(Message.objects.latest("pk"))

    versions = list(first.parent.children.order_by("pk").values_list("content", flat=True))
    assert versions == ["답 1", "답 2", "답 3", "답 4"]
    page = logged_in.get(f"/chat/{first.conversation_id}/").content.decode()
    assert "답 4" in page
    assert "답 1" not in page
    assert "4 / 4" in page
    assert 'aria-label="버전 4 / 4"' in page
    # 같은 질문이 네 번 모델에 갔다: 다른 버전의 답은 실리지 않는다
    assert all(
        prompt == [{"role": "user", "content": "질문"}] for prompt in sent_prompts(llm_server)
    )


def test_switching_versions_shows_that_branch_with_and_without_htmx(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["첫 답"]), Reply(tokens=["새 답"]))
    first = answered(user, "질문")
    logged_in.post(f"/chat/replies/{first.pk}/regenerate/", headers=HTMX)
    finish_reply(Message.objects.latest("pk"))

    swapped = logged_in.post(f"/chat/messages/{first.pk}/show/", headers=HTMX).content.decode()

    assert "첫 답" in swapped
    assert "새 답" not in swapped
    assert "1 / 2" in swapped
    # 고른 버전에 초점이 간다 (htmx가 autofocus를 따른다)
    assert f'id="message-{first.pk}"' in swapped
    assert "autofocus" in swapped
    assert current(first.conversation)[-1] == ("assistant", "첫 답")

    newer = Message.objects.latest("pk")
    response = logged_in.post(f"/chat/messages/{newer.pk}/show/")
    assert response.status_code == 302
    assert response.url == f"/chat/{first.conversation_id}/?around={newer.pk}#message-{newer.pk}"
    assert current(first.conversation)[-1] == ("assistant", "새 답")


def test_edit_and_resend_makes_a_branch_and_the_prompt_follows_it(logged_in, user, llm_server):
    llm_server.script(
        Reply(tokens=["A1"]), Reply(tokens=["버린 답"]), Reply(tokens=["B2"]), Reply(tokens=["B3"])
    )
    answered(user, "첫 질문", "둘째 질문")
    conversation = Conversation.objects.get()
    second_question = Message.objects.get(content="둘째 질문")

    response = logged_in.post(
        f"/chat/messages/{second_question.pk}/edit/", {"content": "고친 질문"}, headers=HTMX
    )
    finish_reply(Message.objects.latest("pk"))

    assert response.status_code == 200
    assert current(conversation) == [
        ("user", "첫 질문"),
        ("assistant", "A1"),
        ("user", "고친 질문"),
        ("assistant", "B2"),
    ]
    # 새 갈래의 답변을 만들 때 모델은 옛 질문과 옛 답을 받지 않았다
    assert sent_prompts(llm_server)[-1] == [
        {"role": "user", "content": "첫 질문"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "고친 질문"},
    ]
    page = logged_in.get(f"/chat/{conversation.pk}/").content.decode()
    assert "2 / 2" in page
    assert "둘째 질문" not in page
    # 짧은 영숫자("A2")는 CSRF 값에 우연히 들어 있을 수 있어 한글 답으로 본다
    assert "버린 답" not in page

    # 새 갈래에서 이어 보내도 옛 갈래는 모델에 가지 않는다
    reply = message_post(conversation=conversation, user=user, content="셋째").reply
    finish_reply(reply)
    assert [m["content"] for m in sent_prompts(llm_server)[-1]] == [
        "첫 질문",
        "A1",
        "고친 질문",
        "B2",
        "셋째",
    ]

    # 옛 갈래는 한 번 눌러 돌아간다: 그 뒤의 답까지 그대로
    logged_in.post(f"/chat/messages/{second_question.pk}/show/")
    assert current(conversation)[-2:] == [("user", "둘째 질문"), ("assistant", "버린 답")]


def test_edit_without_javascript_redirects_to_the_new_reply(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["옛 답"]), Reply(tokens=["새 답"]))
    reply = answered(user, "질문")
    question = reply.parent

    form = logged_in.get(f"/chat/messages/{question.pk}/edit/").content.decode()
    response = logged_in.post(f"/chat/messages/{question.pk}/edit/", {"content": "고친 질문"})

    assert '<textarea id="edit-content-' in form
    assert ">질문</textarea>" in form
    # 이 화면에는 #messages가 없다: htmx가 켜져 있어도 양식은 보통으로 보낸다 (htmx면 보내기가 아무 일도 안 했다)
    edit_form = re.search(r'<form id="edit-form-[^>]*>', form).group(0)
    assert "hx-post" not in edit_form
    fragment = logged_in.get(f"/chat/messages/{question.pk}/edit/", headers=HTMX).content.decode()
    assert 'hx-target="#messages"' in re.search(r'<form id="edit-form-[^>]*>', fragment).group(0)
    new_reply = Message.objects.latest("pk")
    assert response.status_code == 302
    assert response.url.endswith(f"#message-{new_reply.pk}")
    assert new_reply.parent.parent_id is None
    assert current(reply.conversation) == [("user", "고친 질문"), ("assistant", "새 답")]


@pytest.mark.parametrize("htmx", [False, True])
def test_a_blank_or_refused_edit_keeps_the_typed_text(logged_in, user, htmx, settings):
    conversation = make_conversation(user, messages=2)
    question = conversation.messages.get(role="user")
    url = f"/chat/messages/{question.pk}/edit/"
    headers = HTMX if htmx else {}

    blank = logged_in.post(url, {"content": "  "}, headers=headers)
    settings.RATE_LIMIT_MESSAGES_PER_MINUTE = 0
    refused = logged_in.post(url, {"content": "고친 글이 남는다"}, headers=headers)

    assert blank.status_code == (200 if htmx else 400)
    assert "메시지를 입력해 주세요" in blank.content.decode()
    assert refused.status_code == (200 if htmx else 429)
    assert ">고친 글이 남는다</textarea>" in refused.content.decode()
    if htmx:
        assert refused.headers["HX-Retarget"] == f"#edit-form-{question.pk}"
    assert conversation.messages.count() == 2


def test_nobody_else_can_regenerate_edit_or_switch(client, user, other_user):
    conversation = make_conversation(user, messages=2)
    question, reply = conversation.messages.order_by("pk")
    client.force_login(other_user)

    assert client.post(f"/chat/replies/{reply.pk}/regenerate/").status_code == 404
    assert client.get(f"/chat/messages/{question.pk}/edit/").status_code == 404
    assert client.post(f"/chat/messages/{question.pk}/edit/", {"content": "x"}).status_code == 404
    assert client.post(f"/chat/messages/{reply.pk}/show/").status_code == 404
    # 질문은 다시 생성할 수 없고, 답변은 고칠 수 없다
    client.force_login(user)
    assert client.post(f"/chat/replies/{question.pk}/regenerate/").status_code == 404
    assert client.post(f"/chat/messages/{reply.pk}/edit/", {"content": "x"}).status_code == 404


def test_versions_do_not_switch_while_a_reply_is_written(logged_in, user):
    conversation = make_conversation(user, messages=2)
    question, reply = conversation.messages.order_by("pk")
    sibling = Message.objects.create(
        conversation=conversation, parent=question, role="assistant", content="둘째"
    )
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.STREAMING)

    response = logged_in.post(f"/chat/messages/{sibling.pk}/show/")

    assert response.status_code == 409
    conversation.refresh_from_db()
    assert conversation.current_leaf_id == reply.pk


def test_a_search_hit_opens_its_branch_and_a_page_that_holds_it(logged_in, user):
    conversation = make_conversation(user, messages=100)
    old = conversation.messages.order_by("pk")[10]
    branch = Message.objects.create(
        conversation=conversation, parent=old, role="user", content="옛 갈래의 질문"
    )
    # 첫 쪽보다 먼 메시지: 그 메시지가 든 쪽을 보이고 "최근 메시지로" 링크를 단다
    far = conversation.messages.order_by("pk")[2]
    response = logged_in.get(f"/chat/{conversation.pk}/?at={far.pk}", follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [
        (f"/chat/{conversation.pk}/?around={far.pk}#message-{far.pk}", 302)
    ]
    assert f'id="message-{far.pk}"' in page
    assert 'class="load-later"' in page
    conversation.refresh_from_db()
    assert conversation.current_leaf_id == conversation.messages.order_by("pk")[99].pk

    page = logged_in.get(f"/chat/{conversation.pk}/?at={branch.pk}", follow=True).content.decode()

    conversation.refresh_from_db()
    assert conversation.current_leaf_id == branch.pk
    assert "옛 갈래의 질문" in page
    assert "메시지 11" not in page


def test_reloading_an_opened_hit_does_not_switch_back_after_another_choice(logged_in, user):
    conversation = make_conversation(user, messages=2)
    question, first = conversation.messages.order_by("pk")
    second = Message.objects.create(
        conversation=conversation, parent=question, role="assistant", content="둘째"
    )
    opened = logged_in.get(f"/chat/{conversation.pk}/?at={second.pk}")
    assert conversation.messages.count() == 3
    # 같은 탭에서 다른 버전을 고르고(htmx라 주소는 그대로) 새로 읽는다
    logged_in.post(f"/chat/messages/{first.pk}/show/", headers=HTMX)
    logged_in.get(opened.url)

    conversation.refresh_from_db()
    assert conversation.current_leaf_id == first.pk


def test_choosing_a_version_with_a_long_branch_under_it_shows_that_version(logged_in, user):
    conversation = make_conversation(user, messages=2)
    question, first = conversation.messages.order_by("pk")
    # 첫 버전 밑으로 긴 대화가 이어졌다
    parent = first
    for index in range(40):
        parent = Message.objects.create(
            conversation=conversation,
            parent=parent,
            role="user" if index % 2 == 0 else "assistant",
            content=f"뒤 {index}",
        )
    second = Message.objects.create(
        conversation=conversation, parent=question, role="assistant", content="둘째"
    )
    Conversation.objects.filter(pk=conversation.pk).update(current_leaf=second)

    swapped = logged_in.post(f"/chat/messages/{first.pk}/show/", headers=HTMX).content.decode()
    plain = logged_in.post(f"/chat/messages/{first.pk}/show/")

    assert f'id="message-{first.pk}"' in swapped
    assert plain.url == f"/chat/{conversation.pk}/?around={first.pk}#message-{first.pk}"
    assert f'id="message-{first.pk}"' in logged_in.get(plain.url).content.decode()


def test_the_tree_migration_keeps_every_history_as_it_was(transactional_db):
    from django.core.management import call_command

    from tests.support.migrations import migrate

    before_the_tree = [("chat", "0007_error_kind_plain_choices")]
    executor = migrate(before_the_tree)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "chat"]
    old_apps = executor.loader.project_state(others + before_the_tree).apps
    User = old_apps.get_model("accounts", "User")
    OldConversation = old_apps.get_model("chat", "Conversation")
    OldMessage = old_apps.get_model("chat", "Message")
    owner = User.objects.create(username="old_student")
    conversations = [
        OldConversation.objects.create(owner=owner, title=f"대화 {n}", model="m") for n in range(3)
    ]
    # 두 대화의 메시지가 번호 사이사이에 섞여 있고, 실패·멈춤·빈 답이 섞인 실제 모양
    shapes = [
        ("user", "done", "질문"),
        ("assistant", "done", "답"),
        ("user", "done", "다음"),
        ("assistant", "failed", ""),
        ("user", "done", "다시"),
        ("assistant", "stopped", "멈춘 답"),
    ]
    for role, status, content in shapes:
        for conversation in conversations[:2]:
            OldMessage.objects.create(
                conversation=conversation, role=role, status=status, content=content
            )
    before = {
        conversation.pk: list(
            OldMessage.objects.filter(conversation=conversation)
            .order_by("pk")
            .values_list("pk", "role", "status", "content")
        )
        for conversation in conversations
    }

    call_command("migrate", verbosity=0)

    for conversation in Conversation.objects.filter(pk__in=before):
        after = [(m.pk, m.role, m.status, m.content) for m in tree.path(conversation)]
        assert after == before[conversation.pk]
        assert conversation.current_leaf_id == (after[-1][0] if after else None)
    assert Message.objects.filter(parent__isnull=True).count() == 2


def test_reports_and_the_admin_follow_the_version_they_were_made_on(client, user, llm_server):
    from accounts.models import User

    conversation = make_conversation(user, messages=2)
    question, reported = conversation.messages.order_by("pk")
    Report.objects.create(reply=reported, reporter=user, reason="wrong")
    newer = Message.objects.create(
        conversation=conversation, parent=question, role="assistant", content="새 버전의 답"
    )
    Conversation.objects.filter(pk=conversation.pk).update(current_leaf=newer)
    User.objects.create_superuser("teacher", password=STAFF_PASSWORD)
    client.login(username="teacher", password=STAFF_PASSWORD)

    url = f"/admin/chat/conversation/{conversation.pk}/change/"
    latest = client.get(url).content.decode()
    at_report = client.get(f"{url}?message={reported.pk}").content.decode()

    assert "새 버전의 답" in latest
    assert "메시지 1" not in latest
    assert "메시지 1" in at_report
    assert "새 버전의 답" not in at_report
    # 학생의 지금 갈래는 관리 화면이 바꾸지 않는다
    conversation.refresh_from_db()
    assert conversation.current_leaf_id == newer.pk


def test_the_export_command_writes_the_current_branch_only(user, tmp_path):
    from django.core.management import call_command

    conversation = make_conversation(user, messages=2)
    question = conversation.messages.get(role="user")
    Message.objects.create(
        conversation=conversation, parent=question, role="assistant", content="X"
    )
    target = tmp_path / "out.jsonl"

    call_command("export_conversations", "--output", str(target), verbosity=0)

    [record] = [json.loads(line) for line in target.read_text().splitlines()]
    assert [m["content"] for m in record["messages"]] == ["메시지 0", "메시지 1"]


def test_the_title_comes_from_the_new_version_when_the_first_reply_was_tried_again(
    user, llm_server
):
    from chat.services import reply_regenerate
    from chat.titles import conversation_title_generate

    llm_server.script(Reply(tokens=["새 답"]), Reply(tokens=["리스트 정리"]))
    reply = conversation_start(user=user, content="질문", model="fake-model")
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.STOPPED, content="멈춘")
    again = reply_regenerate(reply=Message.objects.get(pk=reply.pk), user=user)
    finish_reply(again)

    title = conversation_title_generate(
        conversation=Conversation.objects.get(pk=reply.conversation_id), language="ko"
    )

    # 멈춘 첫 버전(번호로 둘째 메시지)이 아니라 지금 갈래의 끝난 답으로 짓는다
    assert title == "리스트 정리"
    assert any("새 답" in message["content"] for message in llm_server.requests[-1]["messages"])


@pytest.mark.parametrize("htmx", [False, True])
def test_a_send_from_a_window_showing_another_branch_is_refused_and_redrawn(logged_in, user, htmx):
    conversation = make_conversation(user, messages=2)
    question, first = conversation.messages.order_by("pk")
    second = Message.objects.create(
        conversation=conversation,
        parent=question,
        role="assistant",
        content="다른 창의 버전",
        rendered_html="<p>다른 창의 버전</p>",
    )
    # 이 창은 첫 버전을 보고 있었고, 다른 창이 둘째 버전으로 바꿨다
    Conversation.objects.filter(pk=conversation.pk).update(current_leaf=second)

    response = logged_in.post(
        f"/chat/{conversation.pk}/messages/",
        {"content": "첫 버전에 대한 질문", "leaf": first.pk},
        headers=HTMX if htmx else {},
    )

    html = response.content.decode()
    assert response.status_code == (200 if htmx else 409)
    assert "다른 창에서 바뀌었습니다" in html
    assert "첫 버전에 대한 질문</textarea>" in html
    assert "다른 창의 버전" in html
    assert f'name="leaf" value="{second.pk}"' in html
    if htmx:
        assert '<div id="messages" hx-swap-oob="innerHTML">' in html
    assert conversation.messages.count() == 3

    # 지금 끝을 본 화면에서 보내면 그대로 간다
    again = logged_in.post(
        f"/chat/{conversation.pk}/messages/",
        {"content": "둘째 버전에 대한 질문", "leaf": second.pk},
        headers=HTMX if htmx else {},
    )
    assert again.status_code in (200, 302)
    assert Message.objects.get(content="둘째 버전에 대한 질문").parent_id == second.pk


def test_every_version_survives_an_export_and_import_with_all_versions(user, other_user, tmp_path):
    from django.core.management import call_command

    conversation = make_conversation(user, messages=4)
    first_question = conversation.messages.order_by("pk")[0]
    edited = Message.objects.create(
        conversation=conversation, parent_id=first_question.parent_id, role="user", content="고침"
    )
    answer = Message.objects.create(
        conversation=conversation, parent=edited, role="assistant", content="고친 답"
    )
    Conversation.objects.filter(pk=conversation.pk).update(current_leaf=answer)
    target = tmp_path / "all.jsonl"

    call_command("export_conversations", "--all-versions", "--output", str(target), verbosity=0)
    call_command("import_conversations", str(target), "--user", other_user.username, verbosity=0)

    [record] = [json.loads(line) for line in target.read_text().splitlines()]
    assert record["version"] == 2
    assert len(record["messages"]) == 6
    copy = Conversation.objects.get(owner=other_user)
    assert [m.content for m in tree.path(copy)] == ["고침", "고친 답"]
    # 옛 갈래(처음 질문과 그 뒤 셋)도 버전으로 남았다
    roots = copy.messages.filter(parent__isnull=True).order_by("pk")
    assert [m.content for m in roots] == ["메시지 0", "고침"]
    old_leaf = tree.leaf_under(copy.pk, roots[0].pk)
    assert [m.content for m in tree.path(copy, start_id=old_leaf)] == [
        "메시지 0",
        "메시지 1",
        "메시지 2",
        "메시지 3",
    ]


def test_an_import_whose_parent_points_forward_is_refused(user, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    line = {
        "format": "daehwa.conversation",
        "version": 2,
        "title": "고리",
        "created_at": "2026-12-01T09:00:00+09:00",
        "current": 1,
        "messages": [
            {
                "role": "user",
                "content": "a",
                "created_at": "2026-12-01T09:00:00+09:00",
                "parent": 1,
            },
            {
                "role": "assistant",
                "content": "b",
                "created_at": "2026-12-01T09:00:00+09:00",
                "parent": 0,
            },
        ],
    }
    target = tmp_path / "loop.jsonl"
    target.write_text(json.dumps(line) + "\n")

    with pytest.raises(CommandError, match="parent"):
        call_command("import_conversations", str(target), "--user", user.username, verbosity=0)
    assert not Conversation.objects.filter(title="고리").exists()


def test_regenerating_the_latest_reply_swaps_only_that_reply(logged_in, user):
    conversation = make_conversation(user, messages=4)
    first_reply, _question, latest = conversation.messages.order_by("pk")[1:4]

    response = logged_in.post(f"/chat/replies/{latest.pk}/regenerate/", headers=HTMX)

    html = response.content.decode()
    new = Message.objects.latest("pk")
    # 마지막 답변이면 그 자리만: 목록 전체를 다시 그리지 않는다 (보내기만큼 싸다)
    assert response.headers["HX-Retarget"] == f"#message-{latest.pk}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert html.count("<article") == 1
    assert f'id="message-{new.pk}"' in html
    assert "sse-connect=" in html
    Message.objects.filter(pk=new.pk).update(status=Message.Status.DONE)

    # 앞의 답변이면 그 뒤가 옛 갈래로 가므로 목록째
    earlier = logged_in.post(f"/chat/replies/{first_reply.pk}/regenerate/", headers=HTMX)
    assert "HX-Retarget" not in earlier.headers
    assert earlier.content.decode().count("<article") == 2


def test_the_job_gets_the_versions_so_the_last_frame_need_not_ask(
    user, monkeypatch, django_capture_on_commit_callbacks
):
    from chat import generation
    from chat.services import reply_regenerate

    started = []
    monkeypatch.setattr(generation, "start", lambda pk, attempt, known=None: started.append(known))
    conversation = make_conversation(user, messages=2)
    latest = conversation.messages.latest("pk")

    with django_capture_on_commit_callbacks(execute=True):
        again = reply_regenerate(reply=latest, user=user)
    Message.objects.filter(pk=again.pk).update(status=Message.Status.DONE)
    with django_capture_on_commit_callbacks(execute=True):
        message_post(conversation=Conversation.objects.get(), user=user, content="다음")

    regenerated, sent = started
    # 다시 생성한 답변의 사본은 "2 / 2"를 안다 (chat.streams.frames가 다시 묻지 않는다); 보낸 답변은 형제가 없다
    assert (regenerated.versions.number, regenerated.versions.count) == (2, 2)
    assert sent.versions is None
