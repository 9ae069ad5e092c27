"""The order detail screen's regions: the summary (`summary`) and the tables of lines,
packages with waybills, print history and audit trail (`sections`)."""
