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
