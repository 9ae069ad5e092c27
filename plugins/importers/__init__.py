"""Built-in import formats that belong to no platform (the user-mapped CSV/XLSX)."""
