"""CI의 준비(.ci/postgres-cluster): 판이나 클러스터가 여럿인 기계에서도 켤 PostgreSQL 클러스터를 고른다."""

import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def chosen(tmp_path, listed: str):
    """pg_lsclusters가 listed를 보여 주는 기계에서 고른 "판 이름 포트"와 종료 코드."""
    fake = tmp_path / "bin" / "pg_lsclusters"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\nprintf '%s' '{listed}'\n")
    fake.chmod(0o755)
    result = subprocess.run(
        [BASE_DIR / ".ci" / "postgres-cluster"],
        env={"PATH": f"{fake.parent}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stdout.strip(), result.returncode, result.stderr


def cluster(version, port, status="down", name="main"):
    return (
        f"{version} {name} {port} {status} postgres /var/lib/postgresql/{version}/{name} "
        f"/var/log/postgresql/postgresql-{version}-{name}.log\n"
    )


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        (cluster(15, 5432, "online"), "15 main 5432"),
        # 새 판으로 옮기는 중인 기계: 5432에 설정된 것이 CI가 쓰는 것이다
        (cluster(15, 5433) + cluster(16, 5432), "16 main 5432"),
        (cluster(15, 5432) + cluster(17, 5433), "15 main 5432"),
        # 5432에 아무것도 없으면 가장 새 판의 것을 그 포트로 (9.6이 16보다 앞선다)
        (cluster("9.6", 5433) + cluster(16, 5434), "16 main 5434"),
    ],
    ids=["one", "the one on 5432 after another", "the one on 5432 before a newer", "newest"],
)
def test_the_cluster_on_5432_or_else_the_newest_is_chosen(tmp_path, listed, expected):
    assert chosen(tmp_path, listed)[:2] == (expected, 0)


def test_a_machine_without_clusters_is_told_what_to_do(tmp_path):
    output, code, error = chosen(tmp_path, "")

    assert (output, code) == ("", 1)
    assert "no PostgreSQL cluster" in error
