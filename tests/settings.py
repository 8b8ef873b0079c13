"""Settings for the test suite. The database comes from the environment variable
DB: `sqlite` (default), `postgres` or `mariadb`."""

from __future__ import annotations

import os

SECRET_KEY = "drf-eager-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_eager",
    "shop",
    "tests",
    "tests.replicas",
    "tests.existing_project",
    "tests.zoo",
    "tests.tenancy",
    "tests.eager_fields_style",
]

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DB = os.environ.get("DB", "sqlite")
# Two runs on one server at once need test databases of their own.
TEST_NAME = os.environ.get("DB_TEST_NAME", "test_drf_eager")

if DB == "sqlite":
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
elif DB == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "test",
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": "127.0.0.1",
            "PORT": 5432,
            "TEST": {"NAME": TEST_NAME},
        }
    }
elif DB == "mariadb":
    # PyMySQL stands in for mysqlclient, which needs C headers to build.
    import pymysql

    pymysql.version_info = (2, 2, 7, "final", 0)
    pymysql.install_as_MySQLdb()
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "test",
            "USER": "root",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": 3306,
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {"NAME": TEST_NAME, "CHARSET": "utf8mb4"},
        }
    }
else:
    raise ValueError(f"Unknown DB {DB!r}: choose sqlite, postgres or mariadb.")

# A second database, as a read replica would be (tests/replicas): another database on
# the same server, holding other rows. Only the tests that ask for it create it
# (pytest-django sets up the databases the collected tests use). SQLite names each
# in-memory test database after its alias.
DATABASES["replica"] = {**DATABASES["default"], "TEST": dict(DATABASES["default"].get("TEST", {}))}
if DB != "sqlite":
    DATABASES["replica"]["TEST"]["NAME"] = f"{TEST_NAME}_replica"

REST_FRAMEWORK = {"UNAUTHENTICATED_USER": None}

# Every list served by the fast path is rendered by the DRF path too and compared
# (drf_eager.verify): each test is a differential test of the fast path.
DRF_EAGER = {"STRICT": True, "FAST_PATH": "verify"}
# SQL_RENDER=1: every list the fast path serves is served by the SQL render where it
# applies, and compared byte for byte with the DRF path (drf_eager.sql).
if os.environ.get("SQL_RENDER"):
    DRF_EAGER["SQL_RENDER"] = True
