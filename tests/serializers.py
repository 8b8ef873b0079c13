from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import serializers

from drf_eager import EagerFieldsModelSerializer, EagerFieldsSerializer, classproperty, requires

from . import models


class TagSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Tag
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {"books": {"field": BookSerializer(many=True), "prefetch": True}}


class PublisherSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Publisher
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {"authors": {"field": AuthorSerializer(many=True)}}


class AuthorProfileSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.AuthorProfile
        fields = ["bio", "website"]

    @classproperty
    def extra(cls):
        return {"author": {"field": AuthorSerializer()}}


class ReviewSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Review
        fields = ["id", "rating", "text"]

    @classproperty
    def extra(cls):
        return {"book": {"field": BookSerializer()}}


class ChapterSerializer(serializers.ModelSerializer):
    """A nested serializer without the mixin: it is pruned all the same."""

    class Meta:
        model = models.Chapter
        fields = ["id", "title", "number"]


class CommentSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Comment
        fields = ["id", "text"]


class BookSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Book
        fields = ["id", "title", "isbn", "price"]

    @classproperty
    def extra(cls):
        return {
            "author": {"field": AuthorSerializer(), "prefetch": True},
            "tags": {"field": TagSerializer(many=True), "prefetch": True},
            "tag_ids": {
                "field": serializers.PrimaryKeyRelatedField(
                    source="tags", many=True, read_only=True
                )
            },
            "reviews": {"field": ReviewSerializer(many=True), "prefetch": True},
            "good_reviews": {
                "field": ReviewSerializer(many=True, source="reviews"),
                "prefetch": Prefetch(
                    "reviews", queryset=models.Review.objects.filter(rating__gte=4)
                ),
            },
            "chapters": {"field": ChapterSerializer(many=True, source="chapter_set")},
            "comments": {"field": CommentSerializer(many=True)},
            "author_name": {"field": serializers.CharField(source="author.name")},
            "label": {"field": serializers.CharField()},
            # A to-one relation with a queryset of its own, next to the JOINed `author`.
            "featured_author": {
                "field": AuthorSerializer(source="author", allow_null=True),
                "prefetch": Prefetch(
                    "author", queryset=models.Author.objects.filter(name="author0")
                ),
            },
        }


class AuthorSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Author
        fields = ["id", "name"]
        # drf-eager-fields spelled it on Meta; both work.
        extra = {
            "email": {"field": serializers.CharField()},
            "display_name": {"field": serializers.CharField(), "requires": ["name", "email"]},
        }

    @classproperty
    def extra(cls):
        return {
            "email": {"field": serializers.CharField()},
            "display_name": {"field": serializers.CharField(), "requires": ["name", "email"]},
            "publisher": {"field": PublisherSerializer()},
            "profile": {"field": AuthorProfileSerializer()},
            "books": {"field": BookSerializer(many=True), "prefetch": True},
            "restaurants": {"field": RestaurantSerializer(many=True)},
            "passport": {"field": PassportSerializer()},
            "initials": {"field": serializers.SerializerMethodField()},
            "awards": {"field": AwardSerializer(many=True, source="award_set")},
        }

    @requires("name")
    def get_initials(self, author):
        return _initials(author)


def _initials(author):
    return "".join(part[0] for part in author.name.split())


class BookDetailSerializer(EagerFieldsModelSerializer):
    """Ordinary nested serializers, declared as fields, are shaped too."""

    author = AuthorSerializer()
    chapters = ChapterSerializer(many=True, source="chapter_set")
    publisher_name = serializers.CharField(source="author.publisher.name", default=None)

    class Meta:
        model = models.Book
        fields = ["id", "title", "author", "chapters", "publisher_name"]


class CategorySerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Category
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {
            "parent": {"field": CategorySerializer()},
            "children": {"field": CategorySerializer(many=True)},
        }


class RestaurantSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Restaurant
        fields = ["id", "name", "serves_pizza"]

    @classproperty
    def extra(cls):
        return {"owner": {"field": AuthorSerializer()}}


class PlainBookSerializer(EagerFieldsSerializer):
    """A plain Serializer (no model) with the mixin."""

    id = serializers.IntegerField()
    title = serializers.CharField()

    extra = {"isbn": {"field": serializers.CharField()}}


class StampSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Stamp
        fields = ["country"]


class PassportSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Passport
        fields = ["number"]

    @classproperty
    def extra(cls):
        return {
            "stamps": {"field": StampSerializer(many=True)},
            "author": {"field": AuthorSerializer()},
        }


class AwardSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Award
        fields = ["name"]
