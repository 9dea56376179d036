"""채팅 양식: 입력을 검사하고 번역된 오류를 낸다. 저장은 services가 한다."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chat import llm, search
from chat.models import Conversation, Report

SYSTEM_PROMPT_MAX_CHARS = 4000
REPORT_NOTE_MAX_CHARS = 1000


def _model_choices():
    return [(name, name) for name in llm.available_models()]


class MessageForm(forms.Form):
    content = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Type a message…")}),
        error_messages={"required": _("Type a message first.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # 설정은 테스트가 바꿀 수 있으므로 양식을 만들 때마다 읽는다
        limit = settings.MAX_MESSAGE_CHARS
        field = self.fields["content"]
        field.max_length = limit
        field.validators.append(forms.fields.validators.MaxLengthValidator(limit))
        field.error_messages["max_length"] = _(
            "A message can be at most %(limit_value)d characters (this one has %(show_value)d)."
        )
        field.widget.attrs["maxlength"] = limit


class ComposerForm(MessageForm):
    """대화의 입력창: 글과, 이 화면이 보던 갈래의 끝 (다른 창에서 갈래가 바뀌었는지 알려고)."""

    leaf = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class MessageEditForm(MessageForm):
    """고쳐 보내는 질문: 보내기와 같은 규칙 (빈 글, 길이 한도)."""


class ConversationStartForm(MessageForm):
    model = forms.ChoiceField(label=_("Model"), choices=_model_choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].initial = llm.default_model()
        if len(llm.available_models()) < 2:
            self.fields["model"].widget = forms.HiddenInput()


class ConversationModelForm(forms.Form):
    """머리글의 모델 고르기. 이 사이트가 쓰는 모델(OPENAI_MODELS)이 아닌 이름은 거절한다."""

    model = forms.ChoiceField(
        label=_("Model"),
        choices=_model_choices,
        error_messages={
            "invalid_choice": _(
                "“%(value)s” is not one of the models this site uses. Choose one from the list."
            )
        },
    )

    def __init__(self, *args, conversation: Conversation, **kwargs):
        super().__init__(*args, **kwargs)
        self.conversation = conversation
        self.initial.setdefault("model", llm.usable_model(conversation.model))

    @property
    def current(self) -> str:
        """다음 답변이 쓸 모델 (설정에서 빠진 모델이면 기본 모델)."""
        return llm.usable_model(self.conversation.model)

    @property
    def offers_choice(self) -> bool:
        """고를 것이 하나뿐이면(데모, 모델 하나) 머리글은 이름만 보인다."""
        return len(llm.available_models()) > 1


class ConversationSettingsForm(forms.ModelForm):
    """이 대화의 지시 (시스템 프롬프트). 모델은 머리글에서 고른다 (ConversationModelForm)."""

    class Meta:
        model = Conversation
        fields = ("system_prompt",)
        labels = {"system_prompt": _("System prompt")}
        help_texts = {
            "system_prompt": _(
                "Instructions the model reads before every message of this conversation."
            ),
        }
        widgets = {
            "system_prompt": forms.Textarea(attrs={"rows": 4, "maxlength": SYSTEM_PROMPT_MAX_CHARS})
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system_prompt"].max_length = SYSTEM_PROMPT_MAX_CHARS
        self.fields["system_prompt"].validators.append(
            forms.fields.validators.MaxLengthValidator(SYSTEM_PROMPT_MAX_CHARS)
        )


class ConversationRenameForm(forms.ModelForm):
    class Meta:
        model = Conversation
        fields = ("title",)
        labels = {"title": _("Name")}
        error_messages = {"title": {"required": _("Give the conversation a name.")}}


class ReportForm(forms.ModelForm):
    """답변 신고: 짧은 목록의 이유 하나와 선택 메모."""

    class Meta:
        model = Report
        fields = ("reason", "note")
        labels = {"reason": _("What is wrong with this reply?"), "note": _("Note (optional)")}
        widgets = {
            "reason": forms.RadioSelect,
            "note": forms.Textarea(attrs={"rows": 3, "maxlength": REPORT_NOTE_MAX_CHARS}),
        }
        error_messages = {"reason": {"required": _("Choose a reason.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # 모델 필드의 빈 선택지("---------")는 라디오 단추에 필요 없다
        self.fields["reason"].choices = Report.Reason.choices
        self.fields["note"].max_length = REPORT_NOTE_MAX_CHARS
        self.fields["note"].validators.append(
            forms.fields.validators.MaxLengthValidator(REPORT_NOTE_MAX_CHARS)
        )


class SearchInput(forms.TextInput):
    input_type = "search"


class SearchForm(forms.Form):
    """사이드바와 검색 화면의 찾기 칸. 빈 칸은 틀린 것이 아니라 아직 찾지 않은 것이다."""

    q = forms.CharField(
        label=_("Search conversations"),
        required=False,
        strip=True,
        widget=SearchInput(
            attrs={
                "placeholder": _("Search conversations"),
                "enterkeyhint": "search",
                "autocomplete": "off",
            }
        ),
        max_length=search.MAX_QUERY_CHARS,
        error_messages={
            "max_length": _(
                "Search for at most %(limit_value)d characters (this has %(show_value)d)."
            )
        },
    )
    # 보관한 대화는 목록에서 빠질 뿐 지워진 것이 아니다: 고르면 함께 찾는다
    archived = forms.BooleanField(label=_("Include archived conversations"), required=False)
