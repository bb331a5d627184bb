"""Users, roles, passwords, bearer tokens and login throttling."""
