# Daehwa 개발 명령. `make run`과 `make test`는 필요한 것을 스스로 설치한다.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# 워커 수는 chatproject/gunicorn.py가 정한다: REDIS_URL이 있으면 코어당 하나, 없으면 하나.
# 바꾸려면 make run WORKERS=4 (Redis 없이 여럿은 거절한다).
WORKERS ?=
PYTEST_ARGS ?=

# Python 3.12 이상을 찾는다. pyenv는 .python-version(3.12)을 따라 python3를 고른다.
PYTHON ?= $(shell for p in python3 python3.14 python3.13 python3.12; do \
	command -v $$p >/dev/null 2>&1 \
	&& $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 \
	&& { echo $$p; break; }; done)

# 요구사항 파일의 해시가 이름에 든 스탬프: 파일이 바뀔 때만 다시 설치한다
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-s3.txt requirements-dev.txt | cksum | cut -d' ' -f1)

# LiteLLM 프록시 시험(tests/test_compat_litellm.py)만 쓰는 따로 된 가상환경: 앱의 의존성과 섞이지 않게
COMPAT_VENV := .venv-compat
COMPAT_STAMP := $(COMPAT_VENV)/.installed-$(shell cat requirements-compat.txt 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: help run dev test lint check format messages compat clean

help: ## 명령 목록 / list the commands
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 이상이 필요합니다 / Python 3.12 or newer is required." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-run-*
	touch $@

$(DEV_STAMP): | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-run-* $(VENV)/.installed-dev-*
	touch $@ $(RUN_STAMP)

$(COMPAT_VENV)/bin/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 이상이 필요합니다 / Python 3.12 or newer is required." >&2; exit 1; }
	$(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/python -m pip install --quiet --upgrade pip

$(COMPAT_STAMP): | $(COMPAT_VENV)/bin/python
	$(COMPAT_VENV)/bin/python -m pip install --quiet -r requirements-compat.txt
	rm -f $(COMPAT_VENV)/.installed-*
	touch $@

# 없을 때만 만든다: 이미 있는 .env는 절대 덮어쓰지 않는다
.env: | $(BIN)/python
	$(BIN)/python -c 'import secrets; print("# make run이 만든 로컬 설정입니다. 항목 설명은 .env.example 참고.\nDJANGO_SECRET_KEY=" + secrets.token_urlsafe(50))' > $@
	@echo "새 DJANGO_SECRET_KEY로 .env를 만들었습니다 / wrote .env with a fresh DJANGO_SECRET_KEY"

run: $(RUN_STAMP) .env ## 설치, 마이그레이션 후 http://$(HOST):$(PORT) 에서 서비스 / install, migrate and serve
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn chatproject.asgi:application -c python:chatproject.gunicorn \
		$(if $(WORKERS),--workers $(WORKERS)) --bind $(HOST):$(PORT) --access-logfile -

dev: $(RUN_STAMP) .env ## DEBUG 켜고 코드 변경 시 자동 재시작 / DEBUG on, auto-reload
	$(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=true $(BIN)/uvicorn chatproject.asgi:application --host $(HOST) --port $(PORT) \
		--reload --reload-include '*.html' --reload-include '*.mo'

lint: $(DEV_STAMP) ## ruff 검사 / ruff checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP) ## ruff로 고치고 정렬 / fix and format with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# 모델을 바꾸고 makemigrations를, 문자열을 바꾸고 make messages를 잊으면 실패한다. .env와 DB는 건드리지 않는다.
check: $(DEV_STAMP) ## 마이그레이션과 번역이 코드와 맞는지 / migrations and translations match the code
	env -u REDIS_URL DJANGO_ENV_FILE= DJANGO_SECRET_KEY=make-check DATABASE_URL=sqlite://:memory: \
		$(BIN)/python manage.py makemigrations --check --dry-run
	.ci/check-messages $(BIN)/python

# uvicorn 위에서 답변 스트림을 여는 시험: 스트림의 지름길을 끈 채(STREAM_FAST_PATH=false) 한 번 더 돌린다
# (docs/architecture.md "Django와 SDK를 비켜 가는 곳").
STREAM_TESTS := tests/test_chat_live.py tests/test_chat_streams_live.py tests/test_chat_jobs_live.py

# SQLite와 DB 캐시로 한 번, 스트림 시험만 지름길을 끄고 한 번, TEST_DATABASE_URL/REDIS_URL이 있으면 그것으로 한 번 더.
# 브라우저 시험은 첫 판에서만: 화면은 DB와 캐시를 모르고, 서버 쪽의 PostgreSQL·Redis 길은 live 시험이 둘째 판에서 본다
test: lint check ## 린트, 검사와 전체 테스트 / lint, checks and the whole test suite
	@echo "== SQLite, database cache =="
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest $(PYTEST_ARGS)
	@echo "== SQLite, reply streams through Django (STREAM_FAST_PATH=false) =="
	env -u DATABASE_URL -u REDIS_URL STREAM_FAST_PATH=false $(BIN)/pytest $(PYTEST_ARGS) $(STREAM_TESTS)
	@if [ -n "$${TEST_DATABASE_URL:-}$${REDIS_URL:-}" ]; then \
		echo "== $${TEST_DATABASE_URL:-SQLite} + $${REDIS_URL:-database cache} =="; \
		DATABASE_URL="$${TEST_DATABASE_URL:-}" $(BIN)/pytest -m "not browser" $(PYTEST_ARGS); \
	fi

messages: $(DEV_STAMP) ## 번역 문자열 추출과 컴파일 / extract and compile translations
	DJANGO_DEBUG=true $(BIN)/python manage.py makemessages --locale ko --locale en --ignore '.venv/*' --ignore 'staticfiles/*'
	DJANGO_DEBUG=true $(BIN)/python manage.py compilemessages --ignore '.venv/*'

compat: $(COMPAT_STAMP) ## LiteLLM 프록시 시험용 가상환경 / venv for the LiteLLM proxy test

clean: ## 가상환경과 수집된 정적 파일 삭제 (DB와 .env는 남긴다) / remove venv and collected static
	rm -rf $(VENV) $(COMPAT_VENV) staticfiles .pytest_cache .ruff_cache
