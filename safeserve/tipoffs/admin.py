# Reports are not in the admin: the reporter's identity is read on the handlers' page only.
