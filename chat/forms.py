"""채팅 양식: 입력을 검사하고 번역된 오류를 낸다. 저장은 services가 한다."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chat import classes, llm, search
from chat.models import Conversation, Report

SYSTEM_PROMPT_MAX_CHARS = 4000
REPORT_NOTE_MAX_CHARS = 1000


class AllowedModelField(forms.ChoiceField):
    """그 사람이 고를 수 있는 모델만 보인다 (chat.classes.models_for). 고친 양식이 보낸 다른 이름은 거절하되,
    사이트에 있지만 반이 허락하지 않은 모델은 따로 말한다 (model_not_allowed): 조용히 다른 모델로 바꾸지 않는다."""

    default_error_messages = {
        "invalid_choice": _(
            "“%(value)s” is not one of the models this site uses. Choose one from the list."
        ),
        "required": _("Choose a model."),
        "model_not_allowed": _(
            "Your class does not allow the model “%(value)s”. Choose one from the list."
        ),
    }

    def allow(self, user) -> None:
        self.choices = [(name, name) for name in classes.models_for(user)]

    def validate(self, value):
        forms.Field.validate(self, value)
        if value and not self.valid_value(value):
            code = "model_not_allowed" if value in llm.available_models() else "invalid_choice"
            raise forms.ValidationError(
                self.error_messages[code], code=code, params={"value": value}
            )


class MessageTextField(forms.CharField):
    """보낸 글의 줄바꿈을 \n 하나로. 브라우저는 양식을 보낼 때 줄바꿈을 \r\n으로 바꾼다 (multipart와 JavaScript 없는
    보내기): 그대로 두면 복사한 답과 모델에 가는 글에 \r이 끼고, 길이 한도를 줄 수만큼 일찍 넘는다."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class MessageForm(forms.Form):
    content = MessageTextField(
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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class UploadsField(forms.FileField):
    """여러 파일 고르기 칸. 파일은 request.FILES에서 services가 하나씩 살핀다: 이 칸은 그리기와 오류 자리만 맡는다."""

    def clean(self, data, initial=None):
        return None


class AttachmentsMixin(forms.Form):
    """파일 올리기 칸. 파일을 살피고 저장하는 것은 chat.attachments.services다 (양식은 쓰지 않는다): 이 칸은 그리기와
    오류 자리를 맡는다. 파일이 있으면 글 없이 보내도 된다."""

    attachments = UploadsField(
        label=_("Attach files"),
        required=False,
        widget=MultipleFileInput(attrs={"class": "attach-input"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # 받은 파일(입력창에 다시 보일 것)은 뷰가 채운다
        self.staged = []
        if self.is_bound and (self.files.get("attachments") or self.data.get("kept")):
            self.fields["content"].required = False
        # 파일만 보내도 되므로 브라우저가 빈 글을 막지 않게 한다 (JavaScript가 없을 때). 글도 파일도 없으면 서버가 말한다
        self.fields["content"].widget.use_required_attribute = lambda initial: False

    @property
    def max_file_mb(self):
        return settings.ATTACHMENT_MAX_FILE_MB

    @property
    def max_files(self):
        return settings.ATTACHMENT_MAX_FILES


class ComposerForm(AttachmentsMixin, MessageForm):
    """대화의 입력창: 글과 파일과, 이 화면이 보던 갈래의 끝 (다른 창에서 갈래가 바뀌었는지 알려고)."""

    leaf = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class MessageEditForm(MessageForm):
    """고쳐 보내는 질문: 보내기와 같은 규칙 (빈 글, 길이 한도)."""


class ConversationStartForm(AttachmentsMixin, MessageForm):
    """새 대화: 첫 메시지, 모델, 그리고 (반에 든 사람이면) 시작할 프리셋."""

    model = AllowedModelField(label=_("Model"))
    preset = forms.TypedChoiceField(
        label=_("Start from a preset"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={
            "invalid_choice": _("That preset is not one of your class's presets. Choose again.")
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["model"].allow(user)
        self.fields["model"].initial = classes.default_model_for(user)
        if len(self.fields["model"].choices) < 2:
            self.fields["model"].widget = forms.HiddenInput()
        # 화면이 그리는 목록 (숨긴 프리셋은 이름만)
        self.presets = classes.presets_for(user)
        self.fields["preset"].choices = [("", _("No preset"))] + [
            (choice.pk, choice.name) for choice in self.presets
        ]

    @property
    def chosen_preset(self) -> int | None:
        """다시 그릴 때 골라 둔 프리셋 (틀린 값이면 None)."""
        value = self["preset"].value()
        return int(value) if str(value or "").isdigit() else None

    def clean_preset(self):
        pk = self.cleaned_data["preset"]
        if pk is None:
            return None
        preset = classes.preset_for(self.user, pk)
        if preset is None:
            # 목록을 그린 뒤 반이 끝났거나 프리셋이 지워졌다
            raise forms.ValidationError(
                self.fields["preset"].error_messages["invalid_choice"], code="invalid_choice"
            )
        return preset


class ConversationModelForm(forms.Form):
    """머리글의 모델 고르기. 그 사람이 고를 수 있는 모델(사이트의 것 중 반이 허락한 것)만 받는다."""

    model = AllowedModelField(label=_("Model"))

    def __init__(self, *args, conversation: Conversation, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.conversation = conversation
        field = self.fields["model"]
        field.allow(user)
        self.allowed = [name for name, _label in field.choices]
        if self.current_allowed:
            self.initial.setdefault("model", self.current)
        elif self.allowed:
            # 지금 모델을 못 쓴다: 빈 첫 줄을 두어 어느 모델을 골라도 change가 난다 (htmx는 고르자마자 저장한다)
            field.choices = [("", _("Choose a model")), *field.choices]

    @property
    def current(self) -> str:
        """다음 답변이 쓸 모델 (설정에서 빠진 모델이면 기본 모델)."""
        return llm.usable_model(self.conversation.model)

    @property
    def current_allowed(self) -> bool:
        """반이 목록을 바꿔 지금 모델을 더는 쓸 수 없으면 False: 머리글이 다른 모델을 고르라고 말한다."""
        return self.current in self.allowed

    @property
    def offers_choice(self) -> bool:
        """고를 것이 하나뿐이면(데모, 모델 하나) 머리글은 이름만 보인다. 지금 모델을 못 쓰면 하나라도 고르게 한다."""
        return len(self.allowed) > 1 or (bool(self.allowed) and not self.current_allowed)


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
