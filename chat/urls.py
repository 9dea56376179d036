from django.urls import path
from django.views.generic import TemplateView

from chat.views.conversations import (
    ConversationDeleteView,
    ConversationDetailView,
    ConversationListView,
    ConversationModelView,
    ConversationRenameView,
    ConversationSettingsView,
    ConversationTitleView,
    HomeView,
)
from chat.views.messages import MessageCreateView, MessageSourceView
from chat.views.replies import ReplyRetryView, ReplyStopView, ReplyStreamView
from chat.views.reports import ReplyReportView
from chat.views.search import SearchView

app_name = "chat"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("chat/", ConversationListView.as_view(), name="index"),
    path("chat/search/", SearchView.as_view(), name="search"),
    path(
        "chat/shortcuts/",
        TemplateView.as_view(template_name="chat/shortcuts.html"),
        name="shortcuts",
    ),
    path("chat/<uuid:pk>/", ConversationDetailView.as_view(), name="conversation"),
    path("chat/<uuid:pk>/messages/", MessageCreateView.as_view(), name="message-create"),
    path("chat/<uuid:pk>/model/", ConversationModelView.as_view(), name="conversation-model"),
    path(
        "chat/<uuid:pk>/settings/", ConversationSettingsView.as_view(), name="conversation-settings"
    ),
    path("chat/<uuid:pk>/rename/", ConversationRenameView.as_view(), name="conversation-rename"),
    path("chat/<uuid:pk>/delete/", ConversationDeleteView.as_view(), name="conversation-delete"),
    path("chat/<uuid:pk>/title/", ConversationTitleView.as_view(), name="conversation-title"),
    path("chat/replies/<int:pk>/stream/", ReplyStreamView.as_view(), name="reply-stream"),
    path("chat/replies/<int:pk>/stop/", ReplyStopView.as_view(), name="reply-stop"),
    path("chat/replies/<int:pk>/retry/", ReplyRetryView.as_view(), name="reply-retry"),
    path("chat/replies/<int:pk>/report/", ReplyReportView.as_view(), name="reply-report"),
    path("chat/messages/<int:pk>/source/", MessageSourceView.as_view(), name="message-source"),
]
