from __future__ import annotations

import io
import sys
import types

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.models import Prefetch, Q
from django.urls import path
from rest_framework import generics, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from drf_eager import (
    CountOf,
    EagerFieldsModelSerializer,
    EagerFieldsSerializer,
    EagerFieldsViewMixin,
    Grouped,
    requires,
)
from drf_eager.checks import check_declarations, check_serializer, check_settings, check_view
from drf_eager.exceptions import DeclarationError
from drf_eager.prefetch import prefetch_queryset
from drf_eager.schema import get_schema
from drf_eager.settings import DEFAULTS, eager_settings
from tests import models
from tests import serializers as lib


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ({"STRICT": True}, []),
        ({}, []),
        (None, []),
        ([], ["drf_eager.E001"]),
        ({"MAX_DEPT": 2}, ["drf_eager.E002"]),
        ({"UNKNOWN_FIELDS": "drop"}, ["drf_eager.E003"]),
        ({"MAX_DEPTH": 0}, ["drf_eager.E004"]),
        ({"MAX_DEPTH": "3"}, ["drf_eager.E004"]),
        ({"MAX_DEPTH": None}, []),
        ({"MAX_PATHS": 0, "MAX_BODY_SIZE": True}, ["drf_eager.E004", "drf_eager.E004"]),
        ({"MAX_PARAM_LENGTH": 500, "MAX_BODY_SIZE": None}, []),
        ({"FAST_PATH": False, "STRICT": True}, []),
        ({"FAST_PATH": "no", "STRICT": 1}, ["drf_eager.E005", "drf_eager.E005"]),
        ({"FAST_PATH": "verify", "FAST_PATH_VERIFY": "log"}, []),
        ({"FAST_PATH_VERIFY": "print"}, ["drf_eager.E005"]),
    ],
)
def test_setting_checks(settings, value, ids):
    settings.DRF_EAGER = value
    assert [error.id for error in check_settings()] == ids


def test_settings_are_read_at_access_time(settings):
    settings.DRF_EAGER = {"MAX_DEPTH": 7}
    assert eager_settings.MAX_DEPTH == 7
    settings.DRF_EAGER = {}
    assert eager_settings.MAX_DEPTH == DEFAULTS["MAX_DEPTH"] == 3


def test_unknown_setting_name():
    with pytest.raises(AttributeError, match="Unknown drf_eager setting"):
        eager_settings.NOPE  # noqa: B018


def test_a_view_limit_must_be_known():
    from tests.secure import LimitedBookViewSet

    view = LimitedBookViewSet()
    assert view.get_eager_limit("MAX_DEPTH") == 1
    with pytest.raises(ValueError, match="Unknown limit 'MAX_DPTH'"):
        view.get_eager_limit("MAX_DPTH")


def test_extra_permissions_must_be_a_list_of_callables():
    from django.core.exceptions import ImproperlyConfigured
    from rest_framework import serializers

    from drf_eager import EagerFieldsSerializer
    from drf_eager.schema import get_schema

    class Bad(EagerFieldsSerializer):
        extra = {"x": {"field": serializers.CharField(), "permissions": "admin"}}

    with pytest.raises(ImproperlyConfigured, match=r"extra\['x'\]\['permissions'\] must be"):
        get_schema(Bad)


# Serializer declarations ------------------------------------------------------------------
#
# Serializers and views are defined inside functions: the registered check walks
# `__subclasses__()`, and leaves out classes defined inside a function (their
# `__qualname__` has `<locals>`) unless a routed view uses them.


def author_serializer(declared, field_names=("id", "name")):
    class CheckedSerializer(EagerFieldsModelSerializer):
        class Meta:
            model = models.Author
            fields = list(field_names)

        extra = declared

    return CheckedSerializer


BAD_DECLARATIONS = [
    (["email"], "E010", "CheckedSerializer.extra must be a dict (or a classproperty"),
    (
        {"email": serializers.CharField},
        "E011",
        "CheckedSerializer.extra['email'] must be a dict with a 'field' key holding a "
        "serializer field or serializer instance.",
    ),
    (
        {"email": {"field": serializers.CharField(), "prefetc": True}},
        "E012",
        "CheckedSerializer.extra['email'] has unknown keys ['prefetc']; allowed: ",
    ),
    (
        {"books": {"field": lib.BookSerializer(many=True), "prefetch": "books"}},
        "E013",
        "CheckedSerializer.extra['books']['prefetch'] must be True, False, a Prefetch or a "
        "list of Prefetch; it is 'books'.",
    ),
    (
        {"books": {"field": lib.BookSerializer(many=True), "prefetch": [Prefetch("books"), 1]}},
        "E013",
        "must be True, False, a Prefetch or a list of Prefetch; it holds 1.",
    ),
    (
        {"email": {"field": serializers.CharField(), "prefetch": True}},
        "E014",
        "CheckedSerializer.extra['email']['prefetch'] is set, but the field reads no relation "
        "of Author (its source is 'email'), so nothing is prefetched for it.",
    ),
    (
        {"titles": {"field": serializers.SerializerMethodField(), "prefetch": True}},
        "E014",
        "reads no relation of Author (its source is '*')",
    ),
    (
        {"num_books": {"field": CountOf("books"), "prefetch": True}},
        "E014",
        "reads no relation of Author (its source is '*')",
    ),
    (
        {
            "top_books": {
                "field": lib.BookSerializer(source="books", many=True),
                "prefetch": Prefetch("bookz"),
            }
        },
        "E014",
        "CheckedSerializer.extra['top_books']['prefetch']: Prefetch('bookz') does not follow "
        "relations of Author: 'bookz' is not a relation of Author.",
    ),
    (
        {
            "books": {
                "field": lib.BookSerializer(many=True),
                "prefetch": [Prefetch("books"), Prefetch("books__title")],
            }
        },
        "E014",
        "Prefetch('books__title') does not follow relations of Author: 'title' is not a "
        "relation of Book.",
    ),
    (
        {"label": {"field": serializers.CharField(source="name"), "requires": "name"}},
        "E015",
        "CheckedSerializer.extra['label']['requires'] must be a list of dotted paths, not 'name'.",
    ),
    (
        {"label": {"field": serializers.CharField(source="name"), "requires": ["nme"]}},
        "E015",
        "CheckedSerializer extra['label'] requires 'nme': 'nme' is not a field, relation or "
        "property of Author.",
    ),
    (
        {"label": {"field": serializers.CharField(source="name"), "requires": ["books.title"]}},
        "E015",
        "requires 'books.title': 'books' is a to-many relation of Author, which a path does "
        "not go through; require 'books' to load it.",
    ),
    (
        {"label": {"field": serializers.CharField(source="name"), "requires": ["name.upper"]}},
        "E015",
        "requires 'name.upper': 'name' of Author has no fields below it.",
    ),
    (
        {"label": {"field": serializers.CharField(source="name"), "requires": ["publisher.x"]}},
        "E015",
        "requires 'publisher.x': 'x' is not a field, relation or property of Publisher.",
    ),
    (
        {"label": {"field": serializers.CharField(source="name"), "requires": ["name", 1]}},
        "E015",
        "CheckedSerializer.extra['label']['requires'] must be a list of dotted paths, "
        "not ['name', 1].",
    ),
    (
        {"email": {"field": serializers.CharField(), "permissions": "admin"}},
        "E016",
        "CheckedSerializer.extra['email']['permissions'] must be a list of DRF permission "
        "classes or callables taking the request.",
    ),
    (
        {"books": {"field": lib.BookSerializer(many=True), "filter": {"title": "x"}}},
        "E017",
        "CheckedSerializer.extra['books']['filter'] must be a Q object.",
    ),
    (
        {
            "penguin": {
                "field": lib.PublisherSerializer(source="publisher"),
                "filter": Q(name="Penguin"),
            }
        },
        "E017",
        "CheckedSerializer.extra['penguin']['filter'] is set, but the field reads no to-many "
        "relation of Author (its source is 'publisher'), so nothing is filtered.",
    ),
    (
        {"titles": {"field": serializers.SerializerMethodField(), "filter": Q(title="x")}},
        "E017",
        "reads no to-many relation of Author (its source is '*'), so nothing is filtered.",
    ),
    (
        {
            "cheap_books": {
                "field": lib.BookSerializer(source="books", many=True),
                "filter": Q(prize__lt=5),
            }
        },
        "E017",
        "CheckedSerializer.extra['cheap_books']['filter'] does not apply to Book: Cannot "
        "resolve keyword 'prize' into field.",
    ),
]


@pytest.mark.parametrize(("declared", "code", "message"), BAD_DECLARATIONS)
def test_a_bad_declaration_is_an_error_with_its_own_id(declared, code, message):
    serializer_class = author_serializer(declared)
    errors = check_serializer(serializer_class)
    assert [(error.id, error.obj) for error in errors] == [(f"drf_eager.{code}", serializer_class)]
    assert message in errors[0].msg
    assert errors[0].is_serious()


def test_errors_carry_a_hint():
    errors = check_serializer(
        author_serializer(
            {
                "books": {"field": lib.BookSerializer(many=True), "prefetch": "books"},
                "email": {"field": serializers.CharField(), "prefetch": True},
                "label": {"field": serializers.CharField(source="name"), "requires": "name"},
            }
        )
    )
    assert [(error.id, error.hint) for error in errors] == [
        ("drf_eager.E013", "'prefetch': Prefetch('books')"),
        (
            "drf_eager.E014",
            "Remove 'prefetch'. A method or property that reads a relation "
            "names it in 'requires' (['orders']), which loads it.",
        ),
        ("drf_eager.E015", "'requires': ['name']"),
    ]


def test_every_mistake_is_reported_at_once():
    errors = check_serializer(
        author_serializer(
            {
                "email": {"field": serializers.CharField(), "prefetc": True, "permissions": 1},
                "books": {"field": lib.BookSerializer},
                "display_name": {"field": serializers.CharField()},
            }
        )
    )
    assert [error.id for error in errors] == ["drf_eager.E012", "drf_eager.E016", "drf_eager.E011"]


def test_the_first_unusable_declaration_raises_at_first_use():
    # The same validation, raised by get_schema() (the check ids ride along).
    serializer_class = author_serializer(
        {"email": {"field": serializers.CharField(), "permissions": "admin", "filter": 1}}
    )
    with pytest.raises(ImproperlyConfigured, match=r"\['permissions'\] must be") as caught:
        get_schema(serializer_class)
    assert isinstance(caught.value, DeclarationError)
    assert caught.value.id == "drf_eager.E016"


def test_declarations_the_planner_ignores_do_not_raise_at_first_use():
    serializer_class = author_serializer(
        {"email": {"field": serializers.CharField(), "prefetch": True, "requires": ["nme"]}}
    )
    assert get_schema(serializer_class).extras["email"].prefetch is True
    assert [error.id for error in check_serializer(serializer_class)] == [
        "drf_eager.E014",
        "drf_eager.E015",
    ]


GOOD_DECLARATIONS = [
    {"publisher": {"field": lib.PublisherSerializer(), "prefetch": True}},
    {"email": {"field": serializers.CharField(), "prefetch": False}},
    {"email": serializers.CharField()},
    {"books": {"field": lib.BookSerializer(many=True), "prefetch": Prefetch("books")}},
    {
        "books": {
            "field": lib.BookSerializer(many=True),
            "prefetch": (
                Prefetch("books"),
                Prefetch("books__tags"),
                Prefetch("publisher"),
                Prefetch("books__comments__target__author"),  # any model past a generic key
            ),
        }
    },
    {
        "publisher_name": {
            "field": serializers.CharField(source="publisher.name"),
            "prefetch": True,
        }
    },
    {
        "label": {
            "field": serializers.CharField(source="name"),
            "requires": [
                "name",
                "pk",
                "publisher_id",
                "publisher.name",
                "publisher__country",
                "books",
                "profile.bio",
                "display_name",  # a property
            ],
        }
    },
    {"label": {"field": serializers.SerializerMethodField(), "requires": []}},
    {
        "good_books": {
            "field": lib.BookSerializer(source="books", many=True),
            "filter": Q(reviews__rating__gte=4),
        }
    },
    {"num_books": {"field": CountOf("books")}},
    {"awards": {"field": lib.AwardSerializer(source="award_set", many=True), "prefetch": True}},
]


@pytest.mark.parametrize("declared", GOOD_DECLARATIONS)
def test_a_good_declaration_passes(declared):
    assert check_serializer(author_serializer(declared)) == []


def test_an_extra_named_like_a_field_of_the_serializer():
    shadowing = author_serializer(
        {"publisher": {"field": lib.PublisherSerializer()}}, field_names=("id", "publisher")
    )
    errors = check_serializer(shadowing)
    assert [(error.id, error.msg) for error in errors] == [
        (
            "drf_eager.E019",
            "CheckedSerializer.extra['publisher'] has the name of a field of the serializer, "
            "which is served instead of it.",
        )
    ]

    class WritesAnId(EagerFieldsModelSerializer):
        # Written as an id, read as an extra: the write-only field is never served.
        publisher = serializers.PrimaryKeyRelatedField(
            queryset=models.Publisher.objects.all(), write_only=True
        )

        class Meta:
            model = models.Author
            fields = ["id", "publisher"]

        extra = {"publisher": {"field": lib.PublisherSerializer()}}

    assert check_serializer(WritesAnId) == []


def test_requires_on_a_method_is_checked():
    class InitialsSerializer(EagerFieldsModelSerializer):
        initials = serializers.SerializerMethodField()

        class Meta:
            model = models.Author
            fields = ["id", "initials"]

        @requires("nme")
        def get_initials(self, author):
            return author.name[:1]

    errors = check_serializer(InitialsSerializer)
    assert [error.id for error in errors] == ["drf_eager.E015"]
    assert errors[0].msg.startswith("InitialsSerializer field 'initials' requires 'nme': ")


def test_requires_given_a_list_instead_of_paths():
    class InitialsSerializer(EagerFieldsModelSerializer):
        initials = serializers.SerializerMethodField()

        class Meta:
            model = models.Author
            fields = ["id", "initials"]

        @requires(["name", "email"])
        def get_initials(self, author):
            return author.name[:1]

    errors = check_serializer(InitialsSerializer)
    assert [(error.id, error.msg) for error in errors] == [
        (
            "drf_eager.E015",
            "InitialsSerializer field 'initials' requires ['name', 'email']: not a string.",
        )
    ]


def test_fields_drf_cannot_build():
    errors = check_serializer(author_serializer({}, field_names=["id", "nope"]))
    assert [error.id for error in errors] == ["drf_eager.E018"]
    assert errors[0].msg.startswith(
        "CheckedSerializer cannot build its fields: Field name `nope` is not valid for model "
        "`Author`"
    )


def test_base_classes_and_serializers_without_a_model():
    class Base(EagerFieldsModelSerializer):
        pass

    class Plain(EagerFieldsSerializer):
        name = serializers.CharField()
        extra = {"label": {"field": serializers.CharField(), "prefetch": True, "requires": ["x"]}}

    class PlainWithoutDict(Plain):
        extra = 1

    assert check_serializer(Base) == []
    # Without a model nothing is planned, so there is no relation to check against...
    assert check_serializer(Plain) == []
    # ... but the declaration itself is checked.
    assert [error.id for error in check_serializer(PlainWithoutDict)] == ["drf_eager.E010"]


# View declarations ------------------------------------------------------------------------


def test_view_defaults_the_serializer_does_not_have():
    class BookSummaryView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Book.objects.all()
        serializer_class = lib.BookSerializer
        serializer_extra = "author"
        serializer_fields = ["title", "author.nme"]

    errors = check_view(BookSummaryView)
    assert [(error.id, error.obj) for error in errors] == [("drf_eager.E020", BookSummaryView)]
    assert errors[0].msg == (
        "BookSummaryView's serializer_* defaults do not fit BookSerializer: serializer_fields: "
        "Unknown field 'nme' at 'author'. Allowed: *, awards, books, display_name, email, id, "
        "initials, name, passport, profile, publisher, restaurants."
    )
    assert errors[0].hint


def test_view_defaults_with_a_syntax_error_or_too_deep():
    class BookSummaryView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Book.objects.all()
        serializer_class = lib.BookSerializer
        serializer_extra = "author.publisher"
        serializer_exclude = "title,("
        eager_limits = {"MAX_DEPTH": 1}

    errors = check_view(BookSummaryView)
    assert [error.id for error in errors] == ["drf_eager.E020"]
    assert "serializer_exclude: " in errors[0].msg

    BookSummaryView.serializer_exclude = None
    errors = check_view(BookSummaryView)
    assert [error.id for error in errors] == ["drf_eager.E020"]
    assert errors[0].msg.endswith(
        "serializer_extra: 'author.publisher' is nested 2 levels deep; the maximum is 1."
    )


def test_view_defaults_per_action():
    class BookViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
        queryset = models.Book.objects.all()
        serializer_class = lib.BookSerializer

        def get_serializer_extra(self):
            return "author" if self.action == "list" else "author,tagz"

    errors = check_view(BookViewSet, actions=["list", "retrieve"])
    assert [error.id for error in errors] == ["drf_eager.E020"]
    assert errors[0].msg.startswith(
        "BookViewSet's serializer_* defaults for the 'retrieve' action do not fit "
        "BookSerializer: serializer_extra: Unknown field 'tagz'."
    )


def test_a_hook_that_needs_a_request_is_left_to_the_first_request():
    class BookViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
        queryset = models.Book.objects.all()
        serializer_class = lib.BookSerializer

        def get_serializer_extra(self):
            return "tagz" if self.request.user.is_staff else ""

    assert check_view(BookViewSet, actions=["list"]) == []


def test_view_defaults_with_a_serializer_without_the_mixin():
    class PlainBookSerializer(serializers.ModelSerializer):
        class Meta:
            model = models.Book
            fields = ["id", "title"]

    class BookListView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Book.objects.all()
        serializer_class = PlainBookSerializer
        serializer_fields = "title"

    errors = check_view(BookListView)
    assert [(error.id, error.obj) for error in errors] == [("drf_eager.E021", BookListView)]
    assert errors[0].msg == (
        "BookListView sets serializer_fields, but its serializer PlainBookSerializer does not "
        "use EagerFieldsSerializerMixin, so they are ignored."
    )
    BookListView.serializer_fields = None
    assert check_view(BookListView) == []


def test_a_view_whose_serializer_cannot_be_read_is_left_to_the_serializer_check():
    broken = author_serializer({}, field_names=["id", "nope"])

    class AuthorListView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Author.objects.all()
        serializer_class = broken
        serializer_fields = "name"

    assert check_view(AuthorListView) == []
    assert [error.id for error in check_serializer(broken)] == ["drf_eager.E018"]


def test_view_defaults_are_not_checked_with_unreadable_settings(settings):
    class BookListView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Book.objects.all()
        serializer_class = lib.BookSerializer
        serializer_fields = "nope"

    settings.DRF_EAGER = ["STRICT"]
    assert check_view(BookListView) == []
    assert [error.id for error in check_settings()] == ["drf_eager.E001"]
    settings.DRF_EAGER = {}
    assert [error.id for error in check_view(BookListView)] == ["drf_eager.E020"]


def test_view_limits():
    class BookListView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Book.objects.all()
        serializer_class = lib.BookSerializer
        eager_limits = {"MAX_DPTH": 2, "MAX_PATHS": 0, "MAX_BODY_SIZE": None, "MAX_DEPTH": "3"}

    errors = check_view(BookListView)
    assert [(error.id, error.msg) for error in errors] == [
        ("drf_eager.E022", "Unknown limit 'MAX_DPTH' in BookListView.eager_limits."),
        (
            "drf_eager.E022",
            "BookListView.eager_limits['MAX_PATHS'] must be a positive integer or None.",
        ),
        (
            "drf_eager.E022",
            "BookListView.eager_limits['MAX_DEPTH'] must be a positive integer or None.",
        ),
    ]


@pytest.mark.parametrize(
    ("grouped", "message"),
    [
        (["tags", "reviews", "author.books"], None),
        ({"tags": Grouped(only_with_children=True)}, None),
        (["nope"], "eager_grouped names 'nope', but 'nope' is not a field of BookSerializer."),
        (
            ["tags", "author"],
            "eager_grouped names 'author', which is not a to-many relation of BookSerializer: "
            "only to-many relations can be grouped.",
        ),
        (
            ["reviews.book"],
            "eager_grouped names 'reviews.book', which is not a to-many relation of "
            "ReviewSerializer: only to-many relations can be grouped.",
        ),
        (
            ["title.nope"],
            "eager_grouped names 'title.nope', but 'nope' is not a field of 'title'.",
        ),
        (
            ["comments"],
            "'comments' is loaded with Grouped, which serves reverse foreign keys and "
            "many-to-many relations with a query name; Book.comments is neither. Use an "
            "ordinary prefetch for it.",
        ),
        (
            "tags",
            "eager_grouped must be a list of field paths, such as ['tags'], or a dict of "
            "field paths to Grouped(), not a string.",
        ),
        ({"tags": True}, "eager_grouped['tags'] must be a Grouped(), not bool."),
    ],
)
def test_view_grouped(grouped, message):
    class BookListView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Book.objects.all()
        serializer_class = lib.BookSerializer
        eager_grouped = grouped

    errors = check_view(BookListView)
    if message is None:
        assert errors == []
        return
    assert [(error.id, error.obj) for error in errors] == [("drf_eager.E023", BookListView)]
    assert errors[0].msg == f"BookListView.eager_grouped does not fit BookSerializer: {message}"
    assert errors[0].hint
    # The message the first request would raise.
    with pytest.raises(ImproperlyConfigured) as raised:
        prefetch_queryset(
            models.Book.objects.all(),
            get_schema(lib.BookSerializer),
            get_schema(lib.BookSerializer).default_shape,
            grouped=grouped,
        )
    assert str(raised.value) == message


def test_view_grouped_per_action():
    class BookViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
        queryset = models.Book.objects.all()
        serializer_class = lib.BookSerializer

        def get_eager_grouped(self):
            return ["author"] if self.action == "retrieve" else ["tags"]

    errors = check_view(BookViewSet, actions=["list", "retrieve"])
    assert [error.id for error in errors] == ["drf_eager.E023"]
    assert errors[0].msg.startswith(
        "BookViewSet.eager_grouped for the 'retrieve' action does not fit BookSerializer: "
    )


def test_view_grouped_hooks_that_need_a_request_or_a_bad_serializer_are_left():
    class BookListView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Book.objects.all()
        serializer_class = lib.BookSerializer

        def get_eager_grouped(self):
            return ["nope"] if self.request.user.is_staff else []

    assert check_view(BookListView) == []

    # An `extra` that is not a dict (E010, from check_serializer()): the schema cannot be read.
    misdeclared = author_serializer(["email"])

    class AuthorListView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Author.objects.all()
        serializer_class = misdeclared
        eager_grouped = ["nope"]

    assert check_view(AuthorListView) == []
    assert [error.id for error in check_serializer(misdeclared)] == ["drf_eager.E010"]


# The registered check ---------------------------------------------------------------------


def test_the_suite_passes_the_registered_check():
    # A bad serializer defined in a function is not a declaration the check can find...
    misdeclared = author_serializer({"email": {"field": serializers.CharField(), "prefetch": 1}})
    assert check_serializer(misdeclared)
    # ... so the suite's own serializers and URLconf (with the example's) pass.
    assert check_declarations() == []
    out = io.StringIO()
    call_command("check", stdout=out)  # raises SystemCheckError on any error
    assert out.getvalue() == "System check identified no issues (0 silenced).\n"


def test_the_registered_check_finds_every_serializer_imported():
    misdeclared = author_serializer({"email": {"field": serializers.CharField(), "prefetch": 1}})
    misdeclared.__qualname__ = "Misdeclared"  # as if it were declared in a module
    try:
        errors = check_declarations()
        assert [(error.id, error.obj) for error in errors] == [("drf_eager.E013", misdeclared)]
        # Only the apps asked for: this class is in the `tests` app.
        assert check_declarations(app_configs=[apps.get_app_config("zoo")]) == []
        assert len(check_declarations(app_configs=[apps.get_app_config("tests")])) == 1
    finally:
        misdeclared.__qualname__ = "author_serializer.<locals>.Misdeclared"


def test_the_registered_check_walks_the_urlconf(settings, monkeypatch):
    misdeclared = author_serializer(
        {"email": {"field": serializers.CharField(), "prefetch": True}}
    )

    class AuthorListView(EagerFieldsViewMixin, generics.ListAPIView):
        queryset = models.Author.objects.all()
        serializer_class = misdeclared
        serializer_fields = "nme"

    class BookViewSet(EagerFieldsViewMixin, viewsets.ReadOnlyModelViewSet):
        queryset = models.Book.objects.all()
        serializer_class = lib.BookSerializer
        serializer_fields = "title"

        @action(detail=False, serializer_class=lib.AuthorSerializer)
        def authors(self, request):
            return Response([])

    router = SimpleRouter()
    router.register("books", BookViewSet, basename="checked-book")
    urls = types.ModuleType("tests.checked_urls")
    urls.urlpatterns = [
        path("authors/", AuthorListView.as_view()),
        path("authors.json", AuthorListView.as_view()),  # the same route: checked once
        path("paged-authors/", AuthorListView.as_view(pagination_class=None)),  # reported once
        *router.urls,
    ]
    monkeypatch.setitem(sys.modules, urls.__name__, urls)
    settings.ROOT_URLCONF = urls.__name__

    errors = check_declarations()
    assert [(error.id, error.obj) for error in errors] == [
        ("drf_eager.E014", misdeclared),  # found through the view that uses it
        ("drf_eager.E020", AuthorListView),
        ("drf_eager.E020", BookViewSet),  # the @action's own serializer has no title
    ]
    assert errors[2].msg.startswith(
        "BookViewSet's serializer_* defaults for the 'authors' action do not fit "
        "AuthorSerializer: serializer_fields: Unknown field 'title'."
    )


def test_the_registered_check_without_a_urlconf(settings):
    del settings.ROOT_URLCONF
    misdeclared = author_serializer({"email": {"field": serializers.CharField(), "prefetch": 1}})
    misdeclared.__qualname__ = "Misdeclared"
    try:
        assert [error.obj for error in check_declarations()] == [misdeclared]
    finally:
        misdeclared.__qualname__ = "author_serializer.<locals>.Misdeclared"


def test_the_walk_skips_the_librarys_own_classes():
    from drf_eager import serializers as eager
    from drf_eager.checks import _eager_serializers

    class Left(EagerFieldsModelSerializer):
        pass

    class Right(EagerFieldsModelSerializer):
        pass

    class Both(Left, Right):  # reached twice
        pass

    # The subclass drf_eager makes of a nested serializer without the mixin, when shaped.
    generated = eager._eager_class(lib.ChapterSerializer)
    found = _eager_serializers()
    assert found.count(Both) == 1
    assert generated not in found
    assert EagerFieldsModelSerializer not in found
    assert EagerFieldsSerializer not in found
    assert lib.BookSerializer in found
