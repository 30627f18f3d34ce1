# Hazards change only through hazards.actions; the admin is deliberately not registered.
