"""반에 들기 시험이 함께 쓰는 것: 강사가 있는 반, 초대 코드, 코드로 가입하기."""

from accounts.models import Course, Invitation, User
from tests.support.factories import STAFF_PASSWORD

GOOD_PASSWORD = "blue-river-42-stone"


def make_course(name="1반", *, instructor=None, **fields):
    """강사 한 명이 있는 반. instructor가 없으면 'teacher'를 만든다."""
    course = Course.objects.create(name=name, **fields)
    if instructor is None:
        instructor = User.objects.create_user(
            username=f"teacher{course.pk}", password=STAFF_PASSWORD
        )
    course.instructors.add(instructor)
    return course


def make_invitation(course, **fields):
    return Invitation.objects.create(course=course, **fields)


def signup_data(username, code=None, password=GOOD_PASSWORD):
    data = {"username": username, "password1": password, "password2": password}
    if code is not None:
        data["code"] = code
    return data


def post_signup(client, username, code=None, *, link=False, **headers):
    """가입 양식을 보낸다. link면 /join/<코드>/로 열린 양식처럼 주소에 ?code=를 둔다."""
    url = "/accounts/signup/"
    if link and code:
        url += f"?code={code}"
    return client.post(url, signup_data(username, code), headers=headers)
