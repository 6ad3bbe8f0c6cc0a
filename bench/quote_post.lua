-- wrk script: POST the JSON of GetQuote (config/examples/quotes.wsdl), as a REST caller would.
wrk.method = "POST"
wrk.body = '{"symbol":"ACME","days":1}'
wrk.headers["Content-Type"] = "application/json"

dofile("bench/report.lua")
