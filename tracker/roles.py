"""The roles of the contract and who among them may know the allocation."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.blinding import is_unblinded

ROLES = ("admin", "gmp", "qa", "pharmacist", "nurse", "investigator", "statistician")


@dataclass(frozen=True)
class Actor:
    """Who is acting: passed into every service, never read from Flask inside the domain."""

    user_id: int
    username: str
    full_name: str
    role: str
    # A one-time password not yet replaced: only the password change is open until it is.
    password_change_required: bool = False
    # The sites this person works for; empty: the whole trial (the sponsor's QA, the statistician, the admin).
    sites: tuple[str, ...] = ()

    @property
    def trial_wide(self) -> bool:
        return not self.sites

    def works_at(self, site: str | None) -> bool:
        """Whether a record of this site is this person's (every site is, for the whole trial's people)."""
        return self.trial_wide or site in self.sites

    @property
    def unblinded(self) -> bool:
        return is_unblinded(self.role)


SYSTEM = Actor(user_id=0, username="system", full_name="System", role="admin")
