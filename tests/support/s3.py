"""루프백의 S3 호환 서버(moto_server): 첨부 저장소를 진짜 S3 프로토콜로 시험한다.

moto[server]는 PyPI에서 설치되고 실행 중에 아무것도 내려받지 않는다. 서버는 하위 프로세스라 세션에 하나만 띄우고,
테스트마다 새 버킷을 만들어 서로 섞이지 않게 한다. 서버가 뜨지 않으면 건너뛰지 않고 실패한다: 설치가 깨진 것이다.

시험 대상은 저장소이지 DB가 아니라서, PostgreSQL로 도는 두 번째 실행에서는 건너뛴다 (tests/test_compat_litellm.py와
같은 까닭): `sqlite_pass_only`.
"""

import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.support import markers
from tests.support.servers import free_port

MOTO_SERVER = Path(sys.executable).parent / "moto_server"
START_SECONDS = 30
# 가짜 서버의 열쇠와 지역: 어디에도 닿지 않는다
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"

sqlite_pass_only = pytest.mark.skipif(
    "sqlite" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="the S3 storage is the subject here, not the database: it runs in the SQLite pass only",
)


def _wait_until_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            # 서버가 답했다 (상태 코드와 관계없이)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer within {START_SECONDS} s: {log.read_text()}")


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    """moto_server의 주소 (세션 동안 하나). 이것을 쓰는 테스트는 live로 표시해야 한다."""
    markers.require("live", "moto_server")
    if not MOTO_SERVER.exists():
        raise RuntimeError(f"{MOTO_SERVER} is missing: install requirements-dev.txt (moto[server])")
    port = free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_answering(url, process, log_path)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def client(endpoint_url: str):
    """Django를 거치지 않고 버킷을 보는 boto3 클라이언트: 저장소가 쓴 것을 따로 확인한다."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def storage_config(*, endpoint_url: str, bucket: str) -> dict:
    """STORAGES["attachments"]: settings.py의 s3 갈래와 같은 선택에 가짜 서버의 주소와 열쇠를."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "region_name": REGION,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


@pytest.fixture
def s3_bucket(moto_server, settings):
    """새 버킷을 만들고 첨부 저장소를 그리로 돌린다. 버킷 이름을 준다.

    settings가 STORAGES를 바꾸고 되돌릴 때 Django가 저장소 캐시(storages)를 비운다 (django.test.signals).
    """
    bucket = new_bucket(moto_server)
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": storage_config(endpoint_url=moto_server, bucket=bucket),
    }
    return bucket


def new_bucket(endpoint_url: str) -> str:
    """이름이 겹치지 않는 빈 버킷을 만들고 그 이름을 준다."""
    bucket = f"daehwa-{uuid.uuid4().hex[:12]}"
    client(endpoint_url).create_bucket(Bucket=bucket)
    return bucket


def stored_keys(endpoint_url: str, bucket: str) -> set[str]:
    """버킷에 든 모든 키."""
    pages = client(endpoint_url).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}
