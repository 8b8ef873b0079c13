from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("books", views.BookViewSet, basename="book")
router.register("paginated-books", views.PaginatedBookViewSet, basename="paginated-book")
router.register("book-details", views.BookDetailViewSet, basename="book-detail")
router.register("authors", views.AuthorViewSet, basename="author")
router.register("tags", views.TagViewSet, basename="tag")
router.register("publishers", views.PublisherViewSet, basename="publisher")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("restaurants", views.RestaurantViewSet, basename="restaurant")
router.register("profiles", views.ProfileViewSet, basename="profile")

urlpatterns = [
    path("", include(router.urls)),
    path("book-defaults/", views.BookDefaultsView.as_view()),
    path("filtered-authors/", views.FilteredAuthorsView.as_view()),
    path("book-api/", views.BookAPIView.as_view()),
]

# Integrations (tests/drf/test_filters_and_pagination.py): django-filter, search, ordering
# and the three paginators.
integrations = DefaultRouter()
integrations.include_root_view = False
integrations.register("filter-books", views.FilteredBookViewSet, basename="filter-book")
integrations.register("limit-books", views.LimitOffsetBookViewSet, basename="limit-book")
integrations.register("cursor-books", views.CursorBookViewSet, basename="cursor-book")
integrations.register(
    "cursor-ordered-books", views.CursorOrderingBookViewSet, basename="cursor-ordered-book"
)
urlpatterns += [path("", include(integrations.urls))]

# ViewSets: the URLconf of tests/drf/test_viewsets.py, and only of it (its per-action defaults,
# extra routes and renamed parameters are not what tests/security/test_fuzz.py expects of a view).
viewsets_router = DefaultRouter()
viewsets_router.include_root_view = False
viewsets_router.register("action-authors", views.AuthorActionViewSet, basename="action-author")
viewsets_router.register("flex-authors", views.FlexStyleAuthorViewSet, basename="flex-author")
viewsets_router.register(
    "publisher-authors", views.PublisherAuthorViewSet, basename="publisher-author"
)
viewsets_router.register(
    "list-guarded-authors", views.ListGuardedAuthorViewSet, basename="list-guarded-author"
)
viewsets_urlpatterns = [path("", include(viewsets_router.urls))]
