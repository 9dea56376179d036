"""대화 내보내기와 가져오기: 우리 JSON Lines(한 줄에 대화 하나)와 Markdown, 그리고 ChatGPT 데이터 내보내기.

명령(export_conversations, import_conversations)은 얇고, 읽고 쓰는 일은 여기서 한다: export(내보내기),
importer(가져오기의 입구와 쓰기, 우리 형식), chatgpt(ChatGPT 형식), values(두 형식이 함께 쓰는 값 검사).
"""
