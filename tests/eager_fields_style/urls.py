from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("articles/", views.ArticleList.as_view()),
    path("articles/<pk>/", views.ArticleDetail.as_view()),
    path("article-view/", views.ArticleView.as_view()),
    path("customers/", views.CustomerList.as_view()),
    path("customers/<pk>/", views.CustomerDetail.as_view()),
]
