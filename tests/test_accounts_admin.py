"""운영자의 계정 관리: 관리 화면과 createsuperuser도 같은 아이디 규칙을 따른다."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User


def test_admin_manages_users(admin_client, user):
    listing = admin_client.get("/admin/accounts/user/")
    change = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")

    assert listing.status_code == 200
    assert "minji" in listing.content.decode()
    assert "| Daehwa</title>" in listing.content.decode()
    assert change.status_code == 200


def test_admin_shows_a_persons_custom_instructions_and_theme(admin_client, user):
    user.custom_instructions = "반말로, 예시는 파이썬으로"
    user.theme = "dark"
    user.save()

    change = admin_client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    assert "반말로, 예시는 파이썬으로" in change
    # 화면 색은 셋 중에서 고른다 (맨 글자 칸이면 "Dark "처럼 틀린 값이 조용히 저장되었다)
    assert '<select name="theme"' in change
    assert '<option value="dark" selected>' in change


def test_admin_refuses_a_case_duplicate(admin_client, user):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "MINJI",
            "usable_password": "true",
            "password1": "violet-harbor-77",
            "password2": "violet-harbor-77",
        },
    )

    assert response.status_code == 200
    assert "이미 사용 중인 아이디입니다." in response.content.decode()
    assert User.objects.filter(username__iexact="minji").count() == 1


@pytest.mark.django_db
def test_createsuperuser_needs_no_email(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "teacher-pass-2026")

    call_command("createsuperuser", "--noinput", "--username", "teacher", verbosity=0)

    teacher = User.objects.get(username="teacher")
    assert teacher.is_superuser
    assert teacher.email == ""


@pytest.mark.django_db
def test_createsuperuser_applies_the_username_rule(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "teacher-pass-2026")

    with pytest.raises(CommandError, match="3~20자의 영문, 숫자, 밑줄"):
        call_command("createsuperuser", "--noinput", "--username", "김선생", verbosity=0)
    assert not User.objects.exists()
