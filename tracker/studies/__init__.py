"""Study definitions as data: arms, strata, QC specifications, dose, windows and label text."""
