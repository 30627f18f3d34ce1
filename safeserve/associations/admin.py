# Records are written through associations.actions only; nothing is registered with the admin.
