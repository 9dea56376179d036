#!/usr/bin/env python
"""Django 관리 명령의 입구."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # 설정 누락은 스택 추적 대신 무엇을 하면 되는지 한 문장으로 보여준다
        sys.exit(f"Configuration error: {error}")


if __name__ == "__main__":
    main()
