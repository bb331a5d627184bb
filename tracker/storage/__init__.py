"""Storage units, their positions and temperature records, the time out of range and the watch."""
