# Visits are never edited, not even in the admin: the hash chain would report it.
