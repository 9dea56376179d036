"""채팅 한 번마다 도는 단순한 읽기와 쓰기를 SQL로 직접: 한 표, 같음(=)과 IN 조건뿐.

ORM은 질의 하나를 짓는 데(filter의 식 풀기, 컴파일) 그 질의를 실행하는 값보다 더 쓴다. 채팅 한 번마다
그런 질의가 여럿 돌아, 짓는 값이 채팅의 CPU에서 큰 몫이었다
(docs/architecture.md "Django와 SDK를 비켜 가는 곳" 6). 이름과 값은 ORM의 것을 그대로 쓴다: 열 이름은
필드의 column과 quote_name으로, 값은 필드의 get_db_prep_value / get_db_prep_save로, 읽은 값은 DB 백엔드의
변환기로. 그래서 SQLite와 PostgreSQL에서 ORM과 같은 값이 오간다. 그 밖의 질의는 모두 ORM으로 쓴다.
"""

from collections.abc import Iterable
from functools import cache

from django.db import connection, models

# 조건의 값이 이것들이면 IN
_MANY = (list, tuple, set, frozenset)


def _field(model: type[models.Model], name: str) -> models.Field:
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _where(model: type[models.Model], where: dict) -> tuple[str, list]:
    quote = connection.ops.quote_name
    parts, params = [], []
    for name, value in where.items():
        field = _field(model, name)
        column = quote(field.column)
        if isinstance(value, _MANY):
            prepared = [field.get_db_prep_value(item, connection) for item in value]
            prepared = [item for item in prepared if _fits(field, item)]
            parts.append(
                f"{column} IN ({', '.join(['%s'] * len(prepared))})" if prepared else "1 = 0"
            )
            params += prepared
        elif value is None:
            parts.append(f"{column} IS NULL")
        else:
            prepared = field.get_db_prep_value(value, connection)
            if _fits(field, prepared):
                parts.append(f"{column} = %s")
                params.append(prepared)
            else:
                parts.append("1 = 0")
    return " AND ".join(parts) or "1 = 1", params


def _fits(field: models.Field, value) -> bool:
    """DB의 정수 범위 밖의 값(URL의 아주 큰 번호)은 어느 행과도 같지 않다. SQLite에 보내면 OverflowError가 난다."""
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    kind = (field.target_field if field.is_relation else field).get_internal_type()
    if kind not in connection.ops.integer_field_ranges:
        return True
    low, high = connection.ops.integer_field_range(kind)
    return (low is None or value >= low) and (high is None or value <= high)


def update(model: type[models.Model], where: dict, /, **values) -> int:
    """filter(**where).update(**values)와 같다: 바뀐 행 수를 돌려준다. 값은 식(F)이 아닌 평범한 값만."""
    quote = connection.ops.quote_name
    sets, params = [], []
    for name, value in values.items():
        field = _field(model, name)
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    condition, where_params = _where(model, where)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {', '.join(sets)} WHERE {condition}",  # noqa: S608 - quote_name을 거친 이름
            params + where_params,
        )
        return cursor.rowcount


def insert(model: type[models.Model], objects: list[models.Model]) -> None:
    """bulk_create(objects)와 같다: INSERT 한 문장으로 넣고, 만든 번호를 객체에 채운다 (넣은 순서대로)."""
    if not connection.features.can_return_rows_from_bulk_insert:
        # RETURNING이 없는 오래된 SQLite
        model._default_manager.bulk_create(objects)
        return
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    row = f"({', '.join(['%s'] * len(fields))})"
    params = [
        field.get_db_prep_save(field.pre_save(obj, True), connection)
        for obj in objects
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - quote_name을 거친 이름
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES {', '.join([row] * len(objects))} RETURNING {quote(model._meta.pk.column)}",
            params,
        )
        made = cursor.fetchall()
    for obj, (pk,) in zip(objects, made, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def values(
    model: type[models.Model],
    names: Iterable[str],
    where: dict,
    *,
    extra: str = "",
    extra_params: Iterable = (),
    order_by: str = "",
    limit: int | None = None,
    lock: bool = False,
) -> list[tuple]:
    """filter(**where).values_list(*names)와 같다 (변환기까지). extra: 부르는 쪽이 지은 고정된 SQL 조건
    (값은 extra_params로).

    order_by: "-pk"처럼 필드 하나. lock: 행을 잠근다 (PostgreSQL의 FOR UPDATE; SQLite는 트랜잭션이 잠근다).
    """
    quote = connection.ops.quote_name
    fields = [_field(model, name) for name in names]
    condition, params = _where(model, where)
    sql = (
        f"SELECT {', '.join(quote(field.column) for field in fields)} "  # noqa: S608 - quote_name을 거친 이름
        f"FROM {quote(model._meta.db_table)} WHERE {condition}"
    )
    if extra:
        sql += f" AND ({extra})"
        params += list(extra_params)
    if order_by:
        field = _field(model, order_by.lstrip("-"))
        sql += f" ORDER BY {quote(field.column)} {'DESC' if order_by.startswith('-') else 'ASC'}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(connection.vendor, model, tuple(fields))
    if not converters:
        return rows
    rows = [list(row) for row in rows]
    for row in rows:
        for index, expression, functions in converters:
            for function in functions:
                row[index] = function(row[index], expression, connection)
    return [tuple(row) for row in rows]


def get(model: type[models.Model], where: dict) -> models.Model | None:
    """filter(**where).first()와 같다 (모든 열). 맞는 행이 없으면 None."""
    found = instances(model, where, limit=1)
    return found[0] if found else None


def instances(model: type[models.Model], where: dict, *, limit: int | None = None) -> list:
    """list(filter(**where))와 같다 (모든 열, 순서 없음)."""
    fields = model._meta.concrete_fields
    names = [field.attname for field in fields]
    rows = values(model, [field.name for field in fields], where, limit=limit)
    return [model.from_db(connection.alias, names, row) for row in rows]


def exists(model: type[models.Model], where: dict, *, lock: bool = False) -> bool:
    return bool(values(model, ["pk"], where, limit=1, lock=lock))


@cache
def _converters(vendor: str, model, fields: tuple) -> list[tuple]:
    """변환이 필요한 열만 (위치, 식, 함수들). 백엔드가 정한다 (SQLite의 날짜 글, UUID의 16진수, 0/1인 참거짓 등).

    모델과 필드 묶음마다 한 번 찾는다. vendor는 열쇠에만 쓴다: 테스트가 백엔드를 바꿔도 섞이지 않게.
    """
    found = []
    for index, field in enumerate(fields):
        expression = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(expression) + field.get_db_converters(
            connection
        )
        if functions:
            found.append((index, expression, functions))
    return found
