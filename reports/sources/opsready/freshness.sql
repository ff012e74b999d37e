-- Per landing source: the readiness date, the latest extract loaded, the last load time and the files quarantined
-- whole (audit.freshness, summarised from audit.load_log by opsready/report.py). Dates are text.
select source, as_of, latest_extract, last_loaded_at, files_quarantined_whole from audit.freshness
