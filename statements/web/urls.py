from django.urls import path

from . import bulletins, drafts

urlpatterns = [
    path("incidents/<int:pk>/drafts/new/", drafts.NewDraftView.as_view(), name="new_draft"),
    path("drafts/<int:pk>/", drafts.DraftPage.as_view(), name="draft"),
    path("drafts/<int:pk>/<slug:step>/", drafts.DraftStepView.as_view(), name="draft_step"),
    path("incidents/<int:pk>/bulletin/", bulletins.BulletinPage.as_view(), name="bulletin"),
    path("bulletins/<int:pk>/<slug:format>/", bulletins.BulletinDocument.as_view(), name="bulletin_document"),
]
