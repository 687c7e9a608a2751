-- Compression is refused by the Apache edition; readings stay uncompressed there. Kept as a file so both
-- editions share one migration history.
SELECT 1;
