-- Landing files quarantined whole (unreadable or unmappable), one row each with its one-line reason.
select source, entity, extract_date, file, message, loaded_at from audit.quarantined_files
