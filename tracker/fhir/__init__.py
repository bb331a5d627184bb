"""A read-only HL7 FHIR R5 view of the tracker's records: the bag, its issue and bedside check, the
infusion, the participant as a pseudonymous reference and the audit events behind them (docs/fhir.md)."""
