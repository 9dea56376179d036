"""답변 신고 화면. htmx면 답변 밑에서 작은 양식이 열리고, JavaScript가 없으면 한 페이지로 같은 일을 한다."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from chat import moderation
from chat.forms import ReportForm
from chat.models import Message, Report

REPORT_TEMPLATE = "chat/reply_report.html"


class ReplyReportView(View):
    """끝난 답변 하나를 신고한다. 남의 답변, 숨긴 대화의 답변, 아직 생성 중인 답변은 404."""

    def dispatch(self, request, pk):
        self.reply = get_object_or_404(
            Message.objects.for_user(request.user)
            .filter(role=Message.Role.ASSISTANT, status__in=Message.FINISHED)
            .select_related("conversation"),
            pk=pk,
        )
        return super().dispatch(request, pk)

    def get(self, request, pk):
        # 이미 열린 신고가 있으면 그것을 고친다
        existing = Report.objects.open().filter(reply=self.reply, reporter=request.user).first()
        form = ReportForm(instance=existing, auto_id=self.auto_id)
        return self.render_form(form, editing=existing is not None)

    def post(self, request, pk):
        form = ReportForm(request.POST, auto_id=self.auto_id)
        if not form.is_valid():
            return self.render_form(form, status=200 if request.htmx else 400)
        moderation.report_submit(
            reply=self.reply,
            reporter=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
        if request.htmx:
            return render(request, f"{REPORT_TEMPLATE}#report-done", {"message": self.reply})
        messages.success(request, _("Thank you. Your instructor will look at this reply."))
        url = reverse("chat:conversation", args=[self.reply.conversation_id])
        return redirect(f"{url}#message-{self.reply.pk}")

    @property
    def auto_id(self):
        # 한 화면에 답변마다 양식이 열릴 수 있다: 칸의 id가 겹치지 않게
        return f"report-{self.reply.pk}-%s"

    def render_form(self, form, *, editing=False, status=200):
        context = {"message": self.reply, "form": form, "editing": editing}
        template = f"{REPORT_TEMPLATE}#report-form" if self.request.htmx else REPORT_TEMPLATE
        return render(self.request, template, context, status=status)
