"""관리 동작의 중간 화면: 고른 항목을 보여 주고 이유(메모)를 받은 뒤 서비스를 부른다."""

from django import forms
from django.contrib.admin import ActionLocation, helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

REASON_MAX_CHARS = 1000
# 관리 동작은 목록에서 여럿을, 변경 화면에서 하나를 고른다
BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX_CHARS}),
        error_messages={"required": _("Write a short reason: it is kept in the audit trail.")},
    )


class NoteForm(forms.Form):
    reason = forms.CharField(
        label=_("Note"),
        max_length=REASON_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX_CHARS}),
        help_text=_("What you found or did. Kept in the audit trail."),
    )


def ask_reason(modeladmin, request, queryset, *, action, title, intro, form_class, apply, done):
    """처음에는 이유를 묻는 화면을, 이유가 맞으면 고른 것마다 apply(obj, reason)를 부르고 None(목록으로)을.

    done(바뀐 수)은 목록 위에 보일 번역된 문장. 변경 화면에서 불러도 답은 목록 주소로 보낸다 (action은 동작 이름).
    """
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            changed = sum(1 for obj in queryset if apply(obj, form.cleaned_data["reason"]))
            modeladmin.message_user(request, done(changed))
            return None
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "form": form,
        "objects": list(queryset),
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(
        request,
        "admin/chat/ask_reason.html",
        context,
        status=400 if form.is_bound else 200,
    )
