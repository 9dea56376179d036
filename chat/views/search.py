"""찾기 화면: 자기 대화의 제목과 메시지에서 찾은 것을 대화별로, 최근 활동 순으로 쪽마다."""

from django.shortcuts import render
from django.views import View

from chat import search
from chat.forms import SearchForm
from chat.streams import positive_int
from chat.views.shared import chat_context


class SearchView(View):
    """GET 양식 하나라 JavaScript 없이도 같다. 빈 칸이면 찾지 않고 무엇을 하는 곳인지 말한다."""

    template_name = "chat/search.html"

    def get(self, request):
        form = SearchForm(request.GET)
        results = None
        if form.is_valid() and form.cleaned_data["q"]:
            results = search.conversations_search(
                user=request.user,
                query=form.cleaned_data["q"],
                page=positive_int(request.GET.get("page", "")) or 1,
                include_archived=form.cleaned_data["archived"],
            )
        context = chat_context(request, search_form=form, results=results)
        return render(request, self.template_name, context)
