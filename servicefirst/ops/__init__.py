"""Operations: liveness and readiness endpoints, structured logs without personal data,
Prometheus metrics (request figures and the bank's operational figures computed at scrape
time), and backup and restore. See deploy/README.md for running ServiceFirst in production."""
