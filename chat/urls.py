from django.urls import path

from chat import report_views, views

app_name = "chat"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("chat/", views.ConversationListView.as_view(), name="index"),
    path("chat/<uuid:pk>/", views.ConversationDetailView.as_view(), name="conversation"),
    path("chat/<uuid:pk>/messages/", views.MessageCreateView.as_view(), name="message-create"),
    path(
        "chat/<uuid:pk>/settings/",
        views.ConversationSettingsView.as_view(),
        name="conversation-settings",
    ),
    path(
        "chat/<uuid:pk>/rename/", views.ConversationRenameView.as_view(), name="conversation-rename"
    ),
    path(
        "chat/<uuid:pk>/delete/", views.ConversationDeleteView.as_view(), name="conversation-delete"
    ),
    path("chat/<uuid:pk>/title/", views.ConversationTitleView.as_view(), name="conversation-title"),
    path("chat/replies/<int:pk>/stream/", views.ReplyStreamView.as_view(), name="reply-stream"),
    path("chat/replies/<int:pk>/stop/", views.ReplyStopView.as_view(), name="reply-stop"),
    path(
        "chat/messages/<int:pk>/source/", views.MessageSourceView.as_view(), name="message-source"
    ),
    path("chat/replies/<int:pk>/retry/", views.ReplyRetryView.as_view(), name="reply-retry"),
    path(
        "chat/replies/<int:pk>/report/", report_views.ReplyReportView.as_view(), name="reply-report"
    ),
]
