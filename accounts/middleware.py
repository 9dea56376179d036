"""언어 선택: 한국어가 기본이고, 사람이 고른 언어만 따른다."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers


class KoreanFirstLocaleMiddleware(LocaleMiddleware):
    """Accept-Language는 보지 않는다.

    한국 교실의 노트북은 영어 OS인 경우가 많아서 브라우저 언어를 따르면 한국어 우선 제품이
    영어로 뜬다. 그래서 언어 선택(set_language가 남긴 쿠키)이 없으면 LANGUAGE_CODE를 쓴다.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(chosen)
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # 같은 주소라도 언어 쿠키에 따라 내용이 다르다
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
