# Records are written through training.actions only; nothing is registered with the admin.
