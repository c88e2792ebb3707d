"""Better Stack Uptime ETL."""
