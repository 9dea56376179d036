from django.urls import path
from django.views.generic import TemplateView

from chat.views.attachments import AttachmentDownloadView, AttachmentPreviewView
from chat.views.classes import AnnouncementDismissView
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
from chat.views.organize import ArchivedListView, ConversationArchiveView, ConversationPinView
from chat.views.replies import ReplyStopView, ReplyStreamView
from chat.views.reports import ReplyReportView
from chat.views.search import SearchView
from chat.views.sharing import (
    ConversationExportView,
    SharedLinkCreateView,
    SharedLinkRevokeView,
    SharedLinkView,
)
from chat.views.versions import MessageEditView, MessageShowView, ReplyRegenerateView

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
    path("chat/archived/", ArchivedListView.as_view(), name="archived"),
    path(
        "chat/announcements/<int:course_id>/dismiss/",
        AnnouncementDismissView.as_view(),
        name="announcement-dismiss",
    ),
    path("chat/<uuid:pk>/", ConversationDetailView.as_view(), name="conversation"),
    path("chat/<uuid:pk>/messages/", MessageCreateView.as_view(), name="message-create"),
    path("chat/<uuid:pk>/model/", ConversationModelView.as_view(), name="conversation-model"),
    path(
        "chat/<uuid:pk>/settings/", ConversationSettingsView.as_view(), name="conversation-settings"
    ),
    path("chat/<uuid:pk>/rename/", ConversationRenameView.as_view(), name="conversation-rename"),
    path("chat/<uuid:pk>/delete/", ConversationDeleteView.as_view(), name="conversation-delete"),
    path("chat/<uuid:pk>/pin/", ConversationPinView.as_view(), name="conversation-pin"),
    path("chat/<uuid:pk>/archive/", ConversationArchiveView.as_view(), name="conversation-archive"),
    path(
        "chat/<uuid:pk>/export.md",
        ConversationExportView.as_view(export_format="markdown"),
        name="conversation-export-markdown",
    ),
    path(
        "chat/<uuid:pk>/export.json",
        ConversationExportView.as_view(export_format="json"),
        name="conversation-export-json",
    ),
    path("chat/<uuid:pk>/share/", SharedLinkCreateView.as_view(), name="shared-link-create"),
    path(
        "chat/<uuid:pk>/share/<int:link_id>/revoke/",
        SharedLinkRevokeView.as_view(),
        name="shared-link-revoke",
    ),
    path("share/<str:token>/", SharedLinkView.as_view(), name="shared-link"),
    path("chat/<uuid:pk>/title/", ConversationTitleView.as_view(), name="conversation-title"),
    path("chat/replies/<int:pk>/stream/", ReplyStreamView.as_view(), name="reply-stream"),
    path("chat/replies/<int:pk>/stop/", ReplyStopView.as_view(), name="reply-stop"),
    path(
        "chat/replies/<int:pk>/regenerate/",
        ReplyRegenerateView.as_view(),
        name="reply-regenerate",
    ),
    path("chat/replies/<int:pk>/report/", ReplyReportView.as_view(), name="reply-report"),
    path("chat/messages/<int:pk>/source/", MessageSourceView.as_view(), name="message-source"),
    path("chat/files/<int:pk>/", AttachmentDownloadView.as_view(), name="attachment"),
    path(
        "chat/files/<int:pk>/preview/", AttachmentPreviewView.as_view(), name="attachment-preview"
    ),
    path("chat/messages/<int:pk>/edit/", MessageEditView.as_view(), name="message-edit"),
    path("chat/messages/<int:pk>/show/", MessageShowView.as_view(), name="message-show"),
]
