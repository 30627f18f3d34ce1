from django.urls import path

from safeserve.core.views import object_urls

from . import views

app_name = "credit"

urlpatterns = [
    path("public/", views.PublicListingsView.as_view(), name="public_listings"),
    path("accidents/<int:pk>/attachment/", views.AccidentAttachmentView.as_view(), name="accident_attachment"),
    path("accidents/<int:pk>/attachment/upload/", views.AccidentUploadView.as_view(), name="accident_upload"),
    path("commitments/<int:pk>/check/", views.CommitmentCheckView.as_view(), name="commitment_check"),
    path("penalties/import/", views.PenaltyImportView.as_view(), name="penalty_import"),
    path("penalties/import/template.xlsx", views.PenaltyTemplateView.as_view(), name="penalty_template"),
    path("listings/<int:pk>/decision.pdf", views.ListingDecisionView.as_view(), name="listing_decision"),
    path("listings/<int:pk>/evidence/", views.ListingEvidenceView.as_view(), name="listing_evidence"),
    path("listings/<int:pk>/step/<str:action>/", views.ListingTransitionView.as_view(), name="listing_transition"),
]
for key, (config, prefix) in views.CONFIGS.items():
    edit = views.EDIT_VIEWS.get(key)
    for pattern in object_urls(config, prefix):
        if edit is not None and pattern.name in (f"{config.key}_add", f"{config.key}_edit"):
            pattern = path(str(pattern.pattern), edit.as_view(config=config), name=pattern.name)
        urlpatterns.append(pattern)
