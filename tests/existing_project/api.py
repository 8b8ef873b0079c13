"""The project's API, written once and built three times:

- `plain`: the project as it was, without drf_eager;
- `unplanned`: drf_eager's serializer mixin on the serializer bases only, the shape
  given in the context (the serializers prune, nothing plans the queryset): the
  reference of a shaped response's bytes and queries;
- `eager`: both mixins, added to the project's base serializer and base views, as
  docs/adoption.md describes.

The code is the project's, in the ways projects write it: base serializers that set
`Meta.model` and leave `fields` to their subclasses, a HyperlinkedIdentityField subclass
that reads another column, a `source="*"` field and a method field reading a JOINed
relation, a serializer whose to_representation() serializes rows of its own, a plain
APIView with a `serializer_class`, a get_serializer_class() that counts its calls.
"""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

from django.urls import reverse
from rest_framework import generics, pagination, serializers, views
from rest_framework.response import Response

from drf_eager.serializers import EagerFieldsSerializerMixin
from drf_eager.views import EagerFieldsViewMixin

from . import models

#: get_serializer_class() calls of AdminProductList, per variant.
SERIALIZER_CLASS_CALLS: Counter[str] = Counter()


# Module-level base serializers with drf_eager, as a project declares them: the system
# checks find them (tests/existing_project/test_adoption.py runs the checks).
class EagerModelSerializer(EagerFieldsSerializerMixin, serializers.ModelSerializer):
    """The project's base serializer, with the mixin added."""


class EagerProductBase(EagerModelSerializer):
    """A base that sets the model and leaves `fields` to its subclasses."""

    class Meta:
        model = models.Product


class PlainProductBase(serializers.ModelSerializer):
    class Meta:
        model = models.Product


class EagerHyperlinkedSerializer(
    EagerFieldsSerializerMixin, serializers.HyperlinkedModelSerializer
):
    """The project's base hyperlinked serializer, with the mixin added."""


class CategoryProductLink(serializers.HyperlinkedIdentityField):
    """A product's URL nests it under its category: it reads `category_id` as well as
    the lookup field."""

    def get_url(self, obj: Any, view_name: str, request: Any, format: Any) -> str:
        url = reverse(view_name, kwargs={"category_pk": obj.category_id, "slug": obj.slug})
        return request.build_absolute_uri(url) if request is not None else url


class AttributeLabel(serializers.Field):
    """`source="*"`: reads the attribute and its JOINed type."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, attribute: Any) -> str:
        return f"{attribute.type.name}: {attribute.value}{attribute.type.unit}"


class Price(serializers.DecimalField):
    """Formats a column's value: it is given the value, never the row."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=10, decimal_places=2, **kwargs)

    def to_representation(self, value: Any) -> str:
        return f"EUR {super().to_representation(value)}"


def build(*, eager_serializers: bool, eager_views: bool) -> SimpleNamespace:
    """Return the project's serializers and views, with drf_eager's mixins or without."""
    variant = "eager" if eager_views else "unplanned" if eager_serializers else "plain"
    if eager_serializers:
        model_base: type = EagerModelSerializer
        product_base: type = EagerProductBase
        hyperlinked_base: type = EagerHyperlinkedSerializer
    else:
        model_base = serializers.ModelSerializer
        product_base = PlainProductBase
        hyperlinked_base = serializers.HyperlinkedModelSerializer

    view_mixins: tuple[type, ...] = (EagerFieldsViewMixin,) if eager_views else ()

    class CategorySerializer(model_base):  # type: ignore[valid-type, misc]
        class Meta:
            model = models.Category
            fields = ["id", "name", "slug"]

    class AttributeSerializer(model_base):  # type: ignore[valid-type, misc]
        type_name = serializers.CharField(source="type.name")
        label = AttributeLabel()

        class Meta:
            model = models.ProductAttribute
            fields = ["id", "value", "type_name", "label"]

    class ImageSerializer(model_base):  # type: ignore[valid-type, misc]
        class Meta:
            model = models.ProductImage
            fields = ["id", "url", "caption"]

    class OptionSerializer(model_base):  # type: ignore[valid-type, misc]
        class Meta:
            model = models.Option
            fields = ["id", "name"]

    class PricedOptionSerializer(OptionSerializer):
        price_delta = Price()

        class Meta(OptionSerializer.Meta):
            fields = ["id", "name", "price_delta"]

    class ProductListSerializer(hyperlinked_base):  # type: ignore[valid-type, misc]
        url = CategoryProductLink(view_name="existing-product-detail", lookup_field="slug")
        category_name = serializers.CharField(source="category.name")
        price = Price()
        options = OptionSerializer(many=True, read_only=True)

        class Meta:
            model = models.Product
            fields = ["url", "title", "price", "category_name", "options"]

    class ProductDetailSerializer(product_base):  # type: ignore[valid-type, misc]
        category = CategorySerializer()
        attributes = AttributeSerializer(many=True)
        images = ImageSerializer(many=True)
        options = PricedOptionSerializer(many=True)
        display_title = serializers.CharField()

        class Meta(product_base.Meta):  # type: ignore[name-defined]
            fields = [
                "id",
                "title",
                "slug",
                "display_title",
                "category",
                "attributes",
                "images",
                "options",
            ]

    class ProductCardSerializer(product_base):  # type: ignore[valid-type, misc]
        """Serializes the product's current revision, loaded by a method of its own."""

        options = OptionSerializer(many=True)
        images = ImageSerializer(many=True)

        class Meta(product_base.Meta):  # type: ignore[name-defined]
            fields = ["id", "title", "options", "images"]

        def to_representation(self, product: Any) -> Any:
            return super().to_representation(self.current_revision(product))

        def current_revision(self, product: Any) -> Any:
            return models.Product.objects.get(pk=product.pk)

    class AdminProductSerializer(product_base):  # type: ignore[valid-type, misc]
        category_name = serializers.CharField(source="category.name")
        category_label = serializers.SerializerMethodField()
        attributes = AttributeSerializer(many=True)

        class Meta(product_base.Meta):  # type: ignore[name-defined]
            fields = ["id", "title", "sku", "category_name", "category_label", "attributes"]

        def get_category_label(self, product: Any) -> str:
            return f"{product.category.name} ({product.category.slug})"

    class AddressSerializer(model_base):  # type: ignore[valid-type, misc]
        class Meta:
            model = models.Address
            fields = ["line1", "city", "country"]

    class OrderLineSerializer(model_base):  # type: ignore[valid-type, misc]
        product_title = serializers.CharField(source="product.title")

        class Meta:
            model = models.OrderLine
            fields = ["id", "product_title", "quantity"]

    class OrderSerializer(model_base):  # type: ignore[valid-type, misc]
        shipping_address = AddressSerializer()
        billing_city = serializers.CharField(source="billing_address.city")
        lines = OrderLineSerializer(many=True)

        class Meta:
            model = models.Order
            fields = ["number", "customer", "status", "shipping_address", "billing_city", "lines"]

    # Views -------------------------------------------------------------------------

    class ShapeInContext:
        """The unplanned variant: the serializer prunes to ?fields=, nothing plans."""

        request: Any

        def get_serializer_context(self) -> dict[str, Any]:
            context = super().get_serializer_context()  # type: ignore[misc]
            if eager_serializers and not eager_views:
                context["fields"] = self.request.query_params.get("fields")
            return context

    view_bases = (*view_mixins, ShapeInContext)

    class ProductList(*view_bases, generics.ListAPIView):  # type: ignore[misc]
        queryset = models.Product.objects.filter(is_public=True)
        serializer_class = ProductListSerializer

    class OrderedProductList(*view_bases, generics.ListAPIView):  # type: ignore[misc]
        queryset = models.Product.objects.filter(is_public=True).order_by("title", "id")
        serializer_class = ProductListSerializer

    class ProductDetail(*view_bases, generics.RetrieveAPIView):  # type: ignore[misc]
        queryset = models.Product.objects.all()
        serializer_class = ProductDetailSerializer
        lookup_field = "slug"

    class ProductDetailList(*view_bases, generics.ListAPIView):  # type: ignore[misc]
        queryset = models.Product.objects.all()
        serializer_class = ProductDetailSerializer

    class ProductCardList(*view_bases, generics.ListAPIView):  # type: ignore[misc]
        queryset = models.Product.objects.all()
        serializer_class = ProductCardSerializer

    class AdminProductList(*view_bases, generics.ListAPIView):  # type: ignore[misc]
        queryset = models.Product.objects.all()

        def get_serializer_class(self) -> type:
            SERIALIZER_CLASS_CALLS[variant] += 1
            return AdminProductSerializer

    class OrderPagination(pagination.PageNumberPagination):
        page_size = 2

    class OrderList(*view_bases, generics.ListAPIView):  # type: ignore[misc]
        queryset = models.Order.objects.order_by("number")
        serializer_class = OrderSerializer
        pagination_class = OrderPagination

    class CategoryReport(*view_mixins, views.APIView):  # type: ignore[misc]
        """A plain APIView: `serializer_class` is read by its own code only."""

        serializer_class = CategorySerializer

        def get(self, request: Any) -> Response:
            categories = models.Category.objects.order_by("slug")
            return Response({"categories": self.serializer_class(categories, many=True).data})

    return SimpleNamespace(**{k: v for k, v in locals().items() if isinstance(v, type)})


plain = build(eager_serializers=False, eager_views=False)
unplanned = build(eager_serializers=True, eager_views=False)
eager = build(eager_serializers=True, eager_views=True)
