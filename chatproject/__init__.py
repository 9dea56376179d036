"""Daehwa 프로젝트 패키지: 설정, URL, ASGI/WSGI 입구."""
