"""make run의 gunicorn 설정: Redis가 없으면 워커 하나, 여럿을 청하면 이유를 말하고 거절한다."""

import subprocess
import sys
from pathlib import Path

from tests.support.servers import BASE_DIR, free_port, server_env

GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def config_value(env, name):
    result = subprocess.run(
        [sys.executable, "-c", f"import chatproject.gunicorn as c; print(c.{name})"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return result.stdout.strip()


def test_one_worker_without_redis_and_one_per_core_with_it(tmp_path):
    env = server_env(tmp_path, REDIS_URL="")

    assert config_value(env, "workers") == "1"
    # .env.example을 복사한 .env처럼 비어 있어도 기본값
    assert config_value({**env, "WEB_CONCURRENCY": ""}, "workers") == "1"
    assert config_value({**env, "WEB_CONCURRENCY": "3"}, "workers") == "3"
    with_redis = {**env, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert int(config_value(with_redis, "workers")) >= 1
    assert config_value(env, "worker_class") == "uvicorn_worker.UvicornWorker"


def test_several_workers_without_redis_are_refused_with_the_reason(tmp_path):
    env = server_env(tmp_path, REDIS_URL="")

    result = subprocess.run(
        [
            *(GUNICORN, "chatproject.asgi:application", "-c", "python:chatproject.gunicorn"),
            *("--workers", "2", "--bind", f"127.0.0.1:{free_port()}"),
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "Without REDIS_URL Daehwa runs one worker" in result.stderr + result.stdout
