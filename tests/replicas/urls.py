"""The URLconf of tests/replicas (its tests set it with pytest.mark.urls: the views
of the other tests, and their fuzzing, know nothing of the second database).

/replicas/<variant>/...: `fast-`, `drf-`, `grouped-`, `counted-` and `plain-`
(plain DRF) views, with get_queryset() pinned to a database (`-default`, `-replica`)
or left to the routers (`-routed`); `-cross`: the authors on the default database,
their related rows on the replica."""

from __future__ import annotations

from django.urls import include, path
from rest_framework import pagination
from rest_framework.routers import SimpleRouter

from tests.replicas import views

router = SimpleRouter()


def register(prefix, base, **attrs):
    view = type(base.__name__, (base,), attrs)
    router.register(prefix, view, basename=f"replicas-{prefix.replace('/', '-')}")


for variant, using in [("routed", None), ("default", "default"), ("replica", "replica")]:
    register(f"fast-{variant}/authors", views.AuthorViewSet, using=using, eager_fast_path=True)
    register(f"drf-{variant}/authors", views.AuthorViewSet, using=using, eager_fast_path=False)
    register(f"plain-{variant}/authors", views.PlainAuthorViewSet, using=using)
    register(f"plain-written-{variant}/authors", views.PlainWrittenAuthorViewSet, using=using)
    register(
        f"grouped-{variant}/authors", views.AuthorViewSet, using=using, eager_grouped=["books"]
    )
    register(f"grouped-{variant}/books", views.BookViewSet, using=using, eager_grouped=["tags"])
    register(f"plain-{variant}/books", views.PlainBookViewSet, using=using)
    register(f"counted-{variant}/authors", views.CountedAuthorViewSet, using=using)
    register(f"plain-counted-{variant}/authors", views.PlainCountedAuthorViewSet, using=using)

for served_by, base in [("fast", views.AuthorViewSet), ("plain", views.PlainAuthorViewSet)]:
    register(
        f"{served_by}-paginated/authors",
        base,
        using="default",
        pagination_class=pagination.LimitOffsetPagination,
    )

for served_by, fast in [("fast", True), ("drf", False)]:
    register(
        f"{served_by}-cross/authors",
        views.AuthorViewSet,
        using="default",
        related_using="replica",
        eager_fast_path=fast,
    )
register("plain-cross/authors", views.PlainAuthorViewSet, using="default", related_using="replica")

urlpatterns = [path("replicas/", include(router.urls))]
