"""강사의 반 화면의 주소 (chat.views.teaching). /classes/ 이름공간은 accounts/class_urls.py의 것(초대·승인)과
이것을 합친 것이다 (chatproject/urls.py): accounts는 chat을 가져오지 않는다."""

from django.urls import path

from chat.views import teaching as views

urlpatterns = [
    path("", views.ClassListView.as_view(), name="list"),
    path("new/", views.ClassCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ClassDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ClassEditView.as_view(), name="edit"),
    path("<int:pk>/presets/", views.PresetListView.as_view(), name="presets"),
    path("<int:pk>/presets/new/", views.PresetCreateView.as_view(), name="preset-create"),
    path(
        "<int:pk>/presets/<int:preset_pk>/edit/",
        views.PresetEditView.as_view(),
        name="preset-edit",
    ),
    path(
        "<int:pk>/presets/<int:preset_pk>/delete/",
        views.PresetDeleteView.as_view(),
        name="preset-delete",
    ),
    path("<int:pk>/usage.csv", views.ClassUsageCsvView.as_view(), name="usage-csv"),
    path("<int:pk>/members/<int:user_id>/", views.MemberView.as_view(), name="member"),
    path(
        "<int:pk>/members/<int:user_id>/remove/",
        views.MemberRemoveView.as_view(),
        name="member-remove",
    ),
    path(
        "<int:pk>/conversations/<uuid:conversation_id>/",
        views.ConversationReadView.as_view(),
        name="conversation",
    ),
]
