-- A plain GET of the URL (headers from -H); only the report.
dofile("benches/wrk/report.lua")
