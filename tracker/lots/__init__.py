"""GMP lots, their containers and QC results, and QA's signed release, rejection and recall."""
