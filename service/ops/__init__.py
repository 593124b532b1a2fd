"""Running the service in production: health endpoints and structured request logs."""
