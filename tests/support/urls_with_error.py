"""500 페이지를 시험하려고 일부러 실패하는 주소를 더한 URLconf."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from chatproject.urls import handler500, urlpatterns


@login_not_required
def broken(request):
    raise RuntimeError("boom")


urlpatterns = [*urlpatterns, path("broken/", broken)]

__all__ = ["handler500", "urlpatterns"]
