"""The middleware stack: retry -> endpoint -> sign -> parse_errors -> transport."""
