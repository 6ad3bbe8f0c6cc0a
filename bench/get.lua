-- wrk script: GET, as a REST client reading a resource would.
wrk.method = "GET"
dofile("bench/report.lua")
