"""Thaws of UC-MSC containers in the pharmacy: post-thaw count, viability and the usability verdict."""
