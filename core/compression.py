"""HTML 응답 압축. 정적 파일은 WhiteNoise가 미리 압축해 두고, 화면(HTML)은 여기서 압축한다."""

from django.middleware.gzip import GZipMiddleware


class PageGZipMiddleware(GZipMiddleware):
    """Django의 GZipMiddleware에서 SSE만 뺀 것.

    스트림을 압축하면 압축기가 조각을 모아 두어 토큰이 바로 가지 않는다. BREACH에는 Django의 완화책
    (압축 결과에 임의 바이트)과 응답마다 가려지는 CSRF 토큰이 있다. 대화 화면의 HTML은 같은 조각이 되풀이되어
    잘 줄어든다 (docs/page-weight.md).
    """

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("text/event-stream"):
            return response
        return super().process_response(request, response)
