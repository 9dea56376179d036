"""강사의 반 양식과 프롬프트 프리셋 양식. 입력을 검사하고 번역된 오류를 낸다; 저장은 services가 한다."""

import re

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.classes.services import COURSE_FIELDS
from accounts.models import Course, Preset, User

# 강사 칸의 아이디를 가르는 것: 쉼표, 띄어쓰기, 줄바꿈
_SEPARATORS = re.compile(r"[\s,]+")


def site_quota_phrase() -> str:
    """사이트의 기본 하루 한도를 말로: 도움말에 "비우면 사이트 기본(20,000)"처럼 쓴다."""
    if settings.DAILY_TOKEN_QUOTA == 0:
        return _("no limit")
    return number_format(settings.DAILY_TOKEN_QUOTA, force_grouping=True)


class CourseForm(forms.ModelForm):
    """반 만들기와 고치기. 모델 목록은 뷰가 준다 (chat.llm: accounts는 chat을 가져오지 않는다).

    강사는 아이디를 적는 칸 하나다: 더하기와 빼기를 JavaScript 없이 한 칸에서. 빈 칸은 거절한다 (강사 없는 반).
    """

    allowed_models = forms.MultipleChoiceField(
        label=gettext_lazy("Models members may use"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Tick none to allow every model of the site."),
    )
    instructor_names = forms.CharField(
        label=gettext_lazy("Instructors"),
        max_length=2000,
        help_text=gettext_lazy(
            "Usernames, separated by commas or spaces. Every instructor sees this class's members and their usage."
        ),
    )

    class Meta:
        model = Course
        # 서비스가 쓰고 감사 기록에 남기는 칸과 하나의 정의 (둘이 어긋나면 고친 칸이 저장되지 않는다)
        fields = list(COURSE_FIELDS)
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "announcement": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self, *args, models: list[str], instructors: list[User], may_raise_quota=False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        # 사이트의 한도 위로 올리는 것은 운영자만: 강사가 제 반(이나 학생이 0인 반에 들어)으로 한도를 풀지 않게
        self.quota_capped = not may_raise_quota and settings.DAILY_TOKEN_QUOTA > 0
        saved = list(self.instance.allowed_models or [])
        # 사이트에서 빠진 모델도 보이게 둔다: 모르게 지워지지 않도록
        names = list(models) + [name for name in saved if name not in models]
        self.fields["allowed_models"].choices = [(name, name) for name in names]
        self.fields["allowed_models"].initial = saved
        self.fields["instructor_names"].initial = ", ".join(user.username for user in instructors)
        self.fields["instructor_names"].widget.attrs.update(
            {"autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["starts_on"].help_text = _("Before this day members can read but not send.")
        self.fields["ends_on"].help_text = _("After this day members can read but not send.")
        if self.quota_capped:
            self.fields["daily_token_quota"].help_text = _(
                "Tokens each member may use per day, up to the site default (%(default)s). Empty: the site default. An operator can allow more."
            ) % {"default": site_quota_phrase()}
        else:
            self.fields["daily_token_quota"].help_text = _(
                "Tokens each member may use per day. Empty: the site default (%(default)s); 0: no limit."
            ) % {"default": site_quota_phrase()}
        self.fields["announcement"].help_text = _(
            "Shown on members' chat pages until they close it. A changed announcement shows again."
        )

    def clean_daily_token_quota(self) -> int | None:
        value = self.cleaned_data.get("daily_token_quota")
        # 운영자가 정해 둔 값은 그대로 둘 수 있다: 강사가 공지만 고쳐도 거절되지 않게
        if value is None or not self.quota_capped or value == self.instance.daily_token_quota:
            return value
        if value == 0 or value > settings.DAILY_TOKEN_QUOTA:
            raise forms.ValidationError(
                _(
                    "Instructors can give at most the site's %(most)s tokens a day. Ask an operator for more."
                )
                % {"most": site_quota_phrase()},
                code="above_site_quota",
            )
        return value

    def clean_instructor_names(self) -> list[User]:
        names = [name for name in _SEPARATORS.split(self.cleaned_data["instructor_names"]) if name]
        found = {user.username.lower(): user for user in _users_named(names)}
        unknown = [name for name in names if name.lower() not in found]
        if unknown:
            raise forms.ValidationError(
                _("No account has the username %(names)s."),
                code="unknown_instructor",
                params={"names": ", ".join(unknown)},
            )
        chosen = list({found[name.lower()].pk: found[name.lower()] for name in names}.values())
        if not chosen:
            raise forms.ValidationError(
                _("A class needs at least one instructor."), code="no_instructor"
            )
        return chosen

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error(
                "ends_on",
                forms.ValidationError(
                    _("The end date is before the start date."), code="dates_order"
                ),
            )
        return cleaned


def _users_named(names: list[str]):
    if not names:
        return User.objects.none()
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    return User.objects.filter(query, is_active=True)


class PresetForm(forms.ModelForm):
    class Meta:
        model = Preset
        fields = ["name", "system_prompt", "hidden"]
        widgets = {"system_prompt": forms.Textarea(attrs={"rows": 8})}
