"""채팅 화면들: htmx면 같은 템플릿의 조각을, JavaScript가 없으면 전체 페이지와 post/redirect/get을 돌려준다."""
