"""대화 화면. 지금은 로그인한 사람의 첫 화면만 있다."""

from django.views.generic import TemplateView


class HomeView(TemplateView):
    """로그인하면 보는 첫 화면. 로그인 전에는 LoginRequiredMiddleware가 로그인 화면으로 보낸다."""

    template_name = "chat/home.html"
