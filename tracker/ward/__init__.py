"""The bedside: scans that tie a bag to a participant, and the one infusion of each bag and participant."""
