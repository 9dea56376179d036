"""업로드를 받는 동안의 크기 한도. 한도를 넘은 파일은 끝까지 받지 않고 버리고, 그 이름을 요청에 남긴다:
뷰가 "너무 크다"고 알린다 (조용히 사라지지 않게)."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

MB = 1024 * 1024


class SizeGuardUploadHandler(FileUploadHandler):
    """처리기 맨 앞에서 받은 바이트를 센다: 파일 하나(ATTACHMENT_MAX_FILE_MB)와 요청 전체(ATTACHMENT_MAX_MESSAGE_MB).
    넘으면 그 파일을 디스크에 쓰지 않는다. 다음 처리기(메모리, 임시 파일)에는 조각을 그대로 넘긴다.

    처리기는 요청마다 새로 만들어지므로 요청 전체의 합을 여기에 둘 수 있다.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.total = 0
        self.request.skipped_uploads = []
        self.request.uploads_over_message_limit = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        self.total += len(raw_data)
        if self.total > settings.ATTACHMENT_MAX_MESSAGE_MB * MB:
            self.request.uploads_over_message_limit = True
            raise SkipFile
        if self.received > settings.ATTACHMENT_MAX_FILE_MB * MB:
            self.request.skipped_uploads.append(self.file_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        # 파일을 만드는 것은 다음 처리기다
        return None
