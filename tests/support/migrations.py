"""마이그레이션을 앞뒤로 오가는 테스트의 도우미: migrate 명령처럼 SQLite 검색 트리거를 걷고 다시 짓는다.

MigrationExecutor는 pre_migrate/post_migrate를 보내지 않는다. 표를 새로 짓는 마이그레이션(SQLite에서 외래 키를 빼는
되돌리기 등)을 지나면 다른 표를 읽는 검색 트리거가 이름 바꾸기를 막는다 (chat.search_index).
"""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from chat import search_index


def migrate(targets=None) -> MigrationExecutor:
    """targets(없으면 마지막)로 옮기고, 그 뒤의 executor를 돌려준다 (옛 모델을 얻는 데 쓴다)."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    search_index.suspend_before_migrate(
        using=connection.alias, plan=executor.migration_plan(targets)
    )
    executor.migrate(targets)
    search_index.heal_after_migrate(using=connection.alias)
    return MigrationExecutor(connection)
