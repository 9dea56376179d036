"""작은 서버에 맞춘 비밀번호 해셔."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class SmallServerArgon2PasswordHasher(Argon2PasswordHasher):
    """OWASP가 권하는 Argon2id 최소값(19 MiB, 2회, 병렬 1).

    Django 기본값(100 MiB, 병렬 8)은 2코어 서버에서 동시 로그인 수십 건이면 메모리를 다 쓴다.
    알고리즘 이름이 같아서 기존 해시도 검증되고, 로그인할 때 이 값으로 다시 해시된다.
    """

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
