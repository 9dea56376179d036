"""최상위 URL. 로그인이 필요 없는 화면은 login_not_required로 표시한다."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from chatproject import views

urlpatterns = [
    path("", include("chat.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    # 로그인 화면에서도 언어를 바꿀 수 있어야 한다
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", views.HealthView.as_view(), name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
]

handler400 = "chatproject.views.bad_request"
handler500 = "chatproject.views.server_error"

# 관리 화면도 강사와 운영자가 아는 이름으로 부른다
admin.site.site_header = admin.site.site_title = settings.SITE_NAME
