"""반의 화면: /classes/ 아래 강사의 화면(accounts.views.classes)과 초대·승인(accounts.views.joining).

/join/<코드>/는 QR 코드에 담기 짧게 최상위에 있다 (chatproject.urls).
"""

from django.urls import path

from accounts.views import joining

app_name = "classes"

urlpatterns = [
    path("join/", joining.JoinView.as_view(), name="join"),
    path(
        "<int:course_id>/invitations/",
        joining.InvitationsView.as_view(),
        name="invitations",
    ),
    path(
        "<int:course_id>/invitations/<int:pk>/",
        joining.InvitationDetailView.as_view(),
        name="invitation",
    ),
    path(
        "<int:course_id>/invitations/<int:pk>/qr.svg",
        joining.InvitationQrView.as_view(),
        name="invitation-qr",
    ),
    path(
        "<int:course_id>/invitations/<int:pk>/revoke/",
        joining.InvitationRevokeView.as_view(),
        name="invitation-revoke",
    ),
    path(
        "<int:course_id>/members/<int:user_id>/approve/",
        joining.MemberApproveView.as_view(),
        name="member-approve",
    ),
]
