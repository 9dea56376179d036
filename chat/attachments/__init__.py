"""첨부 파일: 받기와 글 꺼내기(extract, services), 모델에 싣기(prompt), 내려받기(chat.views.attachments).

sandbox.py는 이 꾸러미를 불러오지 않는 따로 도는 스크립트다: 여기에 Django를 불러오는 코드를 두지 않는다.
"""
