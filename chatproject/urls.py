"""최상위 URL. 로그인이 필요 없는 화면은 login_not_required로 표시한다."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from accounts import class_urls as account_class_urls
from accounts.views import joining
from chat import class_urls as chat_class_urls
from chatproject import views

# /classes/: 초대·승인(accounts)과 강사의 화면(chat, 학생의 대화를 읽는다)이 한 이름공간 "classes"를 함께 쓴다
class_patterns = (
    account_class_urls.urlpatterns + chat_class_urls.urlpatterns,
    account_class_urls.app_name,
)

urlpatterns = [
    path("", include("chat.urls")),
    path("accounts/", include("accounts.urls")),
    path("classes/", include(class_patterns)),
    # 반의 초대 링크: QR 코드에 담기 짧게 최상위에
    path("join/<str:code>/", joining.JoinLinkView.as_view(), name="join-link"),
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
