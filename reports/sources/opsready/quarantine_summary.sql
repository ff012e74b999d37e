select * from audit.quarantine_summary
