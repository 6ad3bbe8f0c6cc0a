-- wrk script: POST a SOAP 1.1 GetQuote envelope (config/examples/quotes.wsdl), as a SOAP client would.
wrk.method = "POST"
wrk.body = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' ..
           '<q:GetQuote xmlns:q="urn:example:quotes"><q:symbol>ACME</q:symbol><q:days>1</q:days></q:GetQuote>' ..
           '</s:Body></s:Envelope>'
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '"urn:example:quotes/GetQuote"'

dofile("bench/report.lua")
