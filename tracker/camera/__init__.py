"""Camera scanning: the server reads a code from a camera frame for browsers without BarcodeDetector."""
