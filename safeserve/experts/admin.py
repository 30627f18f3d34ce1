# The expert pool is kept through its own pages and actions (audited), not the Django admin.
