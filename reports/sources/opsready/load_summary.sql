select * from audit.load_summary
