"""Sites: the manufacturing site and the hospitals of one trial, and the site of each record and person."""
