"""Views over two databases (issue 18): each variant of a list/detail of authors, on
the fast path, the DRF path, and plain DRF with hand-written prefetch_related()."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from rest_framework import serializers, viewsets

from drf_eager import CountOf, EagerFieldsModelSerializer, EagerFieldsViewMixin, classproperty
from tests import models
from tests import serializers as library


class ReplicaRouter:
    """Django's primary/replica router: every read from the replica, every write to
    the primary (the default database)."""

    def db_for_read(self, model, **hints):
        return "replica"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return None


class ParentKeyRouter:
    """A router that reads the `instance` hint: the books of a saved parent (one with a
    primary key) are read from the default database; everything else follows the
    instance's database, as without a router."""

    def db_for_read(self, model, **hints):
        instance = hints.get("instance")
        if model is models.Book and instance is not None and instance.pk is not None:
            return "default"
        return None


class CountedAuthorSerializer(EagerFieldsModelSerializer):
    """Authors with a computed field."""

    num_books = CountOf("books")

    class Meta:
        model = models.Author
        fields = ["id", "name", "num_books"]

    @classproperty
    def extra(cls):
        return {"books": {"field": library.BookSerializer(many=True)}}


# Plain DRF, with the nested serializers the shapes of the tests serve.


class PlainTagSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Tag
        fields = ["name"]


class PlainCommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Comment
        fields = ["text"]


class PlainBookSerializer(serializers.ModelSerializer):
    tags = PlainTagSerializer(many=True)
    comments = PlainCommentSerializer(many=True)

    class Meta:
        model = models.Book
        fields = ["title", "tags", "comments"]


class PlainPublisherSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Publisher
        fields = ["name"]


class PlainAuthorSerializer(serializers.ModelSerializer):
    publisher = PlainPublisherSerializer()
    books = PlainBookSerializer(many=True)

    class Meta:
        model = models.Author
        fields = ["name", "publisher", "books"]


class PlainWrittenAuthorSerializer(serializers.ModelSerializer):
    """What the writes of the tests answer: the name, and the books' titles."""

    class TitleOnly(serializers.ModelSerializer):
        class Meta:
            model = models.Book
            fields = ["title"]

    books = TitleOnly(many=True, read_only=True)

    class Meta:
        model = models.Author
        fields = ["name", "books"]


class PlainCountedAuthorSerializer(serializers.ModelSerializer):
    num_books = serializers.IntegerField()

    class Meta:
        model = models.Author
        fields = ["name", "num_books"]


class PlainBookTagsSerializer(serializers.ModelSerializer):
    """Books, their tags and the tags' books."""

    class TagBooks(serializers.ModelSerializer):
        class TitleOnly(serializers.ModelSerializer):
            class Meta:
                model = models.Book
                fields = ["title"]

        books = TitleOnly(many=True)

        class Meta:
            model = models.Tag
            fields = ["name", "books"]

    tags = TagBooks(many=True)

    class Meta:
        model = models.Book
        fields = ["title", "tags"]


def _using(queryset, using):
    return queryset if using is None else queryset.using(using)


class AuthorViewSet(EagerFieldsViewMixin, viewsets.ModelViewSet):
    """`using`: the database get_queryset() pins (None: the routers choose);
    `related_using`: the database get_related_queryset() pins."""

    serializer_class = library.AuthorSerializer
    using: str | None = None
    related_using: str | None = None

    def get_queryset(self):
        return _using(models.Author.objects.all(), self.using)

    def get_related_queryset(self, model, path):
        return _using(super().get_related_queryset(model, path), self.related_using)


class CountedAuthorViewSet(AuthorViewSet):
    serializer_class = CountedAuthorSerializer


class BookViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = library.BookSerializer
    using: str | None = None

    def get_queryset(self):
        return _using(models.Book.objects.all(), self.using)


class PlainAuthorViewSet(viewsets.ModelViewSet):
    serializer_class = PlainAuthorSerializer
    using: str | None = None
    related_using: str | None = None

    def get_queryset(self):
        books = _using(models.Book.objects.all(), self.related_using)
        authors = _using(models.Author.objects.select_related("publisher"), self.using)
        return authors.prefetch_related(
            Prefetch("books", queryset=books), "books__tags", "books__comments"
        )


class PlainWrittenAuthorViewSet(PlainAuthorViewSet):
    serializer_class = PlainWrittenAuthorSerializer

    def get_queryset(self):
        return _using(models.Author.objects.all(), self.using)


class PlainBookViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PlainBookTagsSerializer
    using: str | None = None

    def get_queryset(self):
        return _using(models.Book.objects.all(), self.using).prefetch_related("tags__books")


class PlainCountedAuthorViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PlainCountedAuthorSerializer
    using: str | None = None

    def get_queryset(self):
        return _using(models.Author.objects.all(), self.using).annotate(num_books=Count("books"))
