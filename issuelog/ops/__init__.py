"""Operations: recording errors by fingerprint, analysing them, Prometheus metrics."""
