"""Shipments of kits from the manufacturing site to a site pharmacy (issue 23)."""
