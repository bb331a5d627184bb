"""The pharmacy's dose bags: bag IDs and the signed QR payload their labels carry."""
