from .models import CampaignStatus  # noqa: F401  (the campaign's status is computed from its dates)
