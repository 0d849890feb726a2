"""Hardware drivers: each kind has one small interface and backends chosen by a URL."""
