"""반이 채팅 화면에 더하는 동작: 공지 닫기."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views import View

from accounts.models import Course
from chat import services
from chat.views.shared import safe_next


class AnnouncementDismissView(View):
    """공지 닫기. htmx면 빈 응답으로 그 띠만 빠지고, JavaScript 없이는 보던 화면으로 돌아간다. 든 반이 아니면 404."""

    def post(self, request, course_id):
        course = Course.objects.filter(pk=course_id, memberships__user=request.user).first()
        if course is None or not services.announcement_dismiss(user=request.user, course=course):
            raise Http404
        if request.htmx:
            return HttpResponse("")
        return redirect(safe_next(request, request.POST.get("next")) or "chat:index")
