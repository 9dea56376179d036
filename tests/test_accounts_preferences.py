"""내 설정: 새 대화에만 쓰이는 맞춤 지시, 서버가 <html>에 적는 화면 색, 그리고 그 둘의 기본값."""

import re
from pathlib import Path

import pytest

from accounts.forms import PreferencesForm
from accounts.models import CUSTOM_INSTRUCTIONS_MAX_CHARS, User
from chat.models import Conversation
from tests.support.migrations import migrate

APP_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "app.css"


def start_conversation(client, content="안녕"):
    return client.post("/chat/", {"content": content, "model": "daehwa-demo"})


def test_the_settings_page_saves_instructions_and_theme_without_javascript(logged_in, user):
    page = logged_in.get("/accounts/settings/")
    assert page.status_code == 200
    assert b'name="custom_instructions"' in page.content

    response = logged_in.post(
        "/accounts/settings/", {"custom_instructions": "존댓말로 답해 주세요.", "theme": "dark"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.custom_instructions, user.theme) == ("존댓말로 답해 주세요.", "dark")


def test_the_account_menu_links_to_the_settings(logged_in):
    assert b'href="/accounts/settings/"' in logged_in.get("/chat/").content


def test_too_long_instructions_are_refused_with_the_limit(user):
    form = PreferencesForm(
        {"custom_instructions": "가" * (CUSTOM_INSTRUCTIONS_MAX_CHARS + 1), "theme": "system"},
        instance=user,
    )
    assert form.has_error("custom_instructions", "max_length")
    assert str(CUSTOM_INSTRUCTIONS_MAX_CHARS) in form.errors["custom_instructions"][0]


def test_an_unknown_theme_is_refused(user):
    form = PreferencesForm({"custom_instructions": "", "theme": "sepia"}, instance=user)
    assert form.has_error("theme", "invalid_choice")


def test_instructions_are_copied_into_new_conversations_only(logged_in, user):
    user.custom_instructions = "한 문단으로 답해 주세요."
    user.save()
    start_conversation(logged_in)
    first = Conversation.objects.get()
    assert first.system_prompt == "한 문단으로 답해 주세요."

    logged_in.post("/accounts/settings/", {"custom_instructions": "", "theme": "system"})
    start_conversation(logged_in, "두 번째")

    first.refresh_from_db()
    assert first.system_prompt == "한 문단으로 답해 주세요."
    assert Conversation.objects.exclude(pk=first.pk).get().system_prompt == ""


@pytest.mark.parametrize(
    ("theme", "scheme"), [("system", "light dark"), ("light", "light"), ("dark", "dark")]
)
def test_the_server_writes_the_chosen_theme_on_the_html_element(logged_in, user, theme, scheme):
    user.theme = theme
    user.save()
    html = logged_in.get("/chat/").content.decode()
    assert f'<html lang="ko" data-theme="{theme}">' in html
    assert f'<meta name="color-scheme" content="{scheme}">' in html


def test_people_not_logged_in_follow_the_device(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert 'data-theme="system"' in html


def test_new_accounts_follow_the_device_and_have_no_instructions(db):
    person = User.objects.create_user(username="sora", password="maple-lantern-58")
    assert (person.theme, person.custom_instructions) == ("system", "")


@pytest.mark.django_db(transaction=True)
def test_people_who_signed_up_before_the_migration_follow_the_device():
    before = [("accounts", "0003_moderators_see_usage")]
    executor = migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("accounts", "User").objects.create(username="early_bird")

    migrate()

    person = User.objects.get(username="early_bird")
    assert (person.theme, person.custom_instructions) == ("system", "")


def _declarations(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block))


def test_the_dark_palette_is_the_same_when_chosen_and_when_following_the_device():
    css = APP_CSS.read_text()
    chosen = css.split(':root[data-theme="dark"] {')[1].split("}")[0]
    following = css.split(':root:not([data-theme="light"]) {')[1].split("}")[0]
    assert len(_declarations(chosen)) >= 10
    assert _declarations(chosen) == _declarations(following)


def test_a_refused_form_does_not_paint_the_unsaved_theme(logged_in, user):
    response = logged_in.post(
        "/accounts/settings/",
        {"custom_instructions": "가" * (CUSTOM_INSTRUCTIONS_MAX_CHARS + 1), "theme": "dark"},
    )

    assert response.status_code == 200
    assert 'data-theme="system"' in response.content.decode()
    user.refresh_from_db()
    assert user.theme == "system"


def test_the_new_conversation_page_greets_by_name_and_says_the_instructions_apply(logged_in, user):
    plain = logged_in.get("/chat/").content.decode()
    user.first_name = "김민지"
    user.custom_instructions = "존댓말로 답해 주세요."
    user.save()

    page = logged_in.get("/chat/").content.decode()

    assert "minji님, 안녕하세요" in plain
    assert "맞춤 지시" not in plain
    assert "김민지님, 안녕하세요" in page
    assert "이 대화에는 내 맞춤 지시가 적용됩니다." in page
    assert 'href="/accounts/settings/"' in page
