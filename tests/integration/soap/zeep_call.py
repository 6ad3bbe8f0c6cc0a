"""Calls one operation through zeep, the way a SOAP client of Causeway would, and
prints one JSON line: {"result": ...} or {"fault": message, "code": faultcode}.

    zeep_call.py WSDL_URL SERVICE PORT OPERATION JSON_ARGUMENTS
"""
import json
import sys

import zeep
from zeep.helpers import serialize_object


def main():
    wsdl, service, port, operation, arguments = sys.argv[1:6]
    client = zeep.Client(wsdl)
    bound = client.bind(service, port)
    try:
        result = getattr(bound, operation)(**json.loads(arguments))
        print(json.dumps({"result": serialize_object(result, dict)}, default=str))
    except zeep.exceptions.Fault as fault:
        print(json.dumps({"fault": fault.message, "code": str(fault.code)}))


if __name__ == "__main__":
    main()
