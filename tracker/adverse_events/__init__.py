"""Adverse events at infusion: the reaction the bedside records, its 24-hour sponsor clock when serious,
the investigator's assessment."""
