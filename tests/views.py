from __future__ import annotations

from rest_framework import generics, pagination, viewsets

from drf_eager import EagerFieldsAPIView, EagerFieldsViewMixin

from . import models, serializers


class BookViewSet(EagerFieldsViewMixin, viewsets.ModelViewSet):
    queryset = models.Book.objects.all()
    serializer_class = serializers.BookSerializer


class PaginatedBookViewSet(BookViewSet):
    pagination_class = pagination.LimitOffsetPagination


class BookDetailViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Book.objects.all()
    serializer_class = serializers.BookDetailSerializer


class AuthorViewSet(EagerFieldsViewMixin, viewsets.ModelViewSet):
    queryset = models.Author.objects.all()
    serializer_class = serializers.AuthorSerializer


class TagViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Tag.objects.all()
    serializer_class = serializers.TagSerializer


class PublisherViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Publisher.objects.all()
    serializer_class = serializers.PublisherSerializer


class CategoryViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Category.objects.all()
    serializer_class = serializers.CategorySerializer


class RestaurantViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Restaurant.objects.all()
    serializer_class = serializers.RestaurantSerializer


class ProfileViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.AuthorProfile.objects.all()
    serializer_class = serializers.AuthorProfileSerializer


class BookDefaultsView(EagerFieldsViewMixin, generics.ListAPIView):
    """View defaults, as drf-eager-fields had them."""

    queryset = models.Book.objects.all()
    serializer_class = serializers.BookSerializer
    serializer_extra = "author.publisher,tags"
    serializer_fields = ["title", "author.name", "author.publisher.name", "tags.name"]


class FilteredAuthorsView(EagerFieldsViewMixin, generics.ListAPIView):
    """A get_queryset() with its own filter, ordering and prefetch."""

    serializer_class = serializers.AuthorSerializer

    def get_queryset(self):
        return (
            models.Author.objects.filter(name__startswith="a")
            .order_by("-id")
            .prefetch_related("books")
        )


class BookAPIView(EagerFieldsAPIView):
    queryset = models.Book.objects.all()
    serializer_class = serializers.BookSerializer

    def get(self, request, *args, **kwargs):
        from rest_framework.response import Response

        queryset = self.filter_queryset(self.get_queryset())
        return Response(self.get_serializer(queryset, many=True).data)


# Integrations (tests/drf/test_filters_and_pagination.py): django-filter, DRF's SearchFilter and
# OrderingFilter, and the three DRF paginators, with shaped responses.

from django_filters.rest_framework import DjangoFilterBackend  # noqa: E402
from rest_framework import filters  # noqa: E402


class BookPageNumberPagination(pagination.PageNumberPagination):
    page_size = 3
    page_size_query_param = "page_size"


class BookLimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = 3


class BookCursorPagination(pagination.CursorPagination):
    ordering = "-isbn"
    page_size = 3


class FilteredBookViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    """django-filter, search and ordering, paginated by page number."""

    queryset = models.Book.objects.all()
    serializer_class = serializers.BookSerializer
    pagination_class = BookPageNumberPagination
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]
    filterset_fields = {
        "title": ["exact", "startswith"],
        "author": ["exact"],
        "author__name": ["exact"],
        "tags__name": ["exact"],
    }
    search_fields = ["title", "author__name", "tags__name"]
    ordering_fields = ["title", "isbn", "author__name"]


class LimitOffsetBookViewSet(FilteredBookViewSet):
    pagination_class = BookLimitOffsetPagination


class CursorBookViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    """Cursor pagination ordered by the paginator's own `ordering`."""

    queryset = models.Book.objects.all()
    serializer_class = serializers.BookSerializer
    pagination_class = BookCursorPagination
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    filterset_fields = ["title"]
    search_fields = ["title", "author__name"]


class CursorOrderingBookViewSet(CursorBookViewSet):
    """Cursor pagination ordered by OrderingFilter (the view's `ordering` by default)."""

    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    ordering_fields = ["isbn", "title"]
    ordering = ["isbn"]


# ViewSets (tests/drf/test_viewsets.py): defaults per action, @action routes, renamed parameters.

from rest_framework.decorators import action  # noqa: E402
from rest_framework.response import Response  # noqa: E402


class AuthorActionViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    """A list serves fewer extras than a retrieve; @action routes are shaped and planned
    like the ViewSet's own."""

    queryset = models.Author.objects.all()
    serializer_class = serializers.AuthorSerializer

    def get_serializer_extra(self):
        if self.action == "list":
            return "publisher"
        if self.action == "retrieve":
            return "publisher,books.tags"
        return super().get_serializer_extra()

    @action(detail=False)
    def newest(self, request):
        """A list route: the authors, newest first."""
        queryset = self.filter_queryset(self.get_queryset().order_by("-id"))
        return Response(self.get_serializer(queryset, many=True).data)

    @action(detail=True)
    def card(self, request, pk=None):
        """A detail route."""
        return Response(self.get_serializer(self.get_object()).data)

    @action(detail=True, serializer_class=serializers.BookSerializer)
    def shelf(self, request, pk=None):
        """A detail route with a serializer of its own: the author's books, planned by
        filter_queryset() as the ViewSet's own querysets are."""
        author = self.get_object()  # a 404 for an unknown author, the object permissions
        books = self.filter_queryset(author.books.all())
        return Response(self.get_serializer(books, many=True).data)


class FlexStyleAuthorViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    """drf-flex-fields' parameter names: ?expand= and ?omit=."""

    queryset = models.Author.objects.all()
    serializer_class = serializers.AuthorSerializer
    extra_query_param = "expand"
    exclude_query_param = "omit"


class PublisherAuthorViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    """A get_queryset() from a related manager, as `request.user.orders.all()` would be,
    served by the DRF path."""

    serializer_class = serializers.AuthorSerializer
    eager_fast_path = False

    def get_queryset(self):
        return models.Publisher.objects.get(name="Penguin").authors.all()


# drf-flex-fields' permit_list_expands, the other way round: an extra refused on lists.

from rest_framework.permissions import BasePermission  # noqa: E402

from drf_eager import classproperty  # noqa: E402


class NotOnLists(BasePermission):
    def has_permission(self, request, view):
        return getattr(view, "action", None) != "list"


class ListGuardedAuthorSerializer(serializers.AuthorSerializer):
    @classproperty
    def extra(cls):
        extra = dict(serializers.AuthorSerializer.extra)
        extra["books"] = {**extra["books"], "permissions": [NotOnLists]}
        return extra


class ListGuardedAuthorViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = models.Author.objects.all()
    serializer_class = ListGuardedAuthorSerializer
