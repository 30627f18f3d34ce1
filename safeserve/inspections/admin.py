# Inspections change only through inspections.actions; the admin is deliberately not registered.
