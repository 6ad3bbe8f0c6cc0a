-- wrk script: POST a small JSON body, as a client of an event route would.
wrk.method = "POST"
wrk.body = '{"sku":"A1","quantity":2,"note":"benchmark"}'
wrk.headers["Content-Type"] = "application/json"

dofile("bench/report.lua")
